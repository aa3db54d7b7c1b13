import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { runCli, tempDir } from '../../../test/support/shards';
import { startStaticServer, StaticServer } from '../static-server';

const REPO = path.resolve(__dirname, '../../../../..');

/** What an interpret OUT looks like to `view`: OUT/viewer/ with the viewer and data/, and a file beside it. */
const FILES: Record<string, string> = {
  'viewer/index.html': '<!doctype html><title>viewer</title><script src="app.js"></script>\n',
  'viewer/app.js': 'window.started = true;\n',
  'viewer/style.css': 'body { margin: 0; }\n',
  'viewer/data/meta.js': 'SAE_VIEWER.meta({"model":"tiny-random"});\n',
  'viewer/data/l/3.js': 'SAE_VIEWER.latent({"id":3});\n',
  'secret.txt': 'outside the viewer\n',
};

async function writeOut(): Promise<string> {
  const out = await tempDir('view');
  for (const [name, text] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(out, name)), { recursive: true });
    await writeFile(path.join(out, name), text);
  }
  return out;
}

interface Answer {
  status: number;
  type: string | undefined;
  length: string | undefined;
  body: string;
}

/** One request with the path sent exactly as given (fetch would normalize `/../` away first). */
function get(base: string, rawPath: string, method = 'GET'): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], length: res.headers['content-length'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the static server of saestream view', () => {
  let out: string;
  let server: StaticServer;
  beforeAll(async () => {
    out = await writeOut();
    server = await startStaticServer(path.join(out, 'viewer'), { port: 0 });
  });
  afterAll(() => server.close());

  it('listens on 127.0.0.1 at a free port for port 0', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.port).toBeGreaterThan(0);
  });

  const html = 'text/html; charset=utf-8';
  const js = 'text/javascript; charset=utf-8';
  it.each([
    ['/', html, 'viewer/index.html'],
    ['/index.html', html, 'viewer/index.html'],
    ['/app.js', js, 'viewer/app.js'],
    ['/style.css', 'text/css; charset=utf-8', 'viewer/style.css'],
    ['/data/meta.js', js, 'viewer/data/meta.js'],
    ['/data/l/3.js?t=1#x', js, 'viewer/data/l/3.js'],
    ['/data/%6C/3.js', js, 'viewer/data/l/3.js'],
  ])('GET %s: 200, %s, the file', async (url, type, file) => {
    const body = FILES[file];
    expect(await get(server.url, url)).toEqual({ status: 200, type, length: String(Buffer.byteLength(body)), body });
  });

  it('HEAD: the headers without the body', async () => {
    const body = FILES['viewer/data/meta.js'];
    expect(await get(server.url, '/data/meta.js', 'HEAD')).toEqual({ status: 200, type: js, length: String(Buffer.byteLength(body)), body: '' });
  });

  it.each([
    ['/../secret.txt', 403],
    ['/data/../../secret.txt', 403],
    ['/data/../index.html', 403], // inside the root, but no path with `..` is served
    ['/%2e%2e/secret.txt', 403],
    ['/..%2fsecret.txt', 403],
    ['/%2E%2E%5Csecret.txt', 403],
    ['/data/l/99.js', 404],
    ['/data/', 404],
    ['/nothing', 404],
    ['/%E0%A4%A', 400],
    ['/a%00b', 400],
  ])('GET %s: %d, and nothing from outside the viewer', async (url, status) => {
    const answer = await get(server.url, url);
    expect({ status: answer.status, type: answer.type }).toEqual({ status, type: 'text/plain; charset=utf-8' });
    expect(answer.body).not.toContain(FILES['secret.txt'].trim());
  });

  it.each(['POST', 'PUT', 'DELETE'])('%s: 405 (GET and HEAD only)', async (method) => {
    expect((await get(server.url, '/index.html', method)).status).toBe(405);
  });
});

/** Resolves with a free port, held by a listener until `release()`. */
async function occupyPort(): Promise<{ port: number; release(): Promise<void> }> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return { port: (blocker.address() as AddressInfo).port, release: () => new Promise((resolve) => blocker.close(() => resolve())) };
}

describe('saestream view errors', () => {
  let out: string;
  beforeAll(async () => {
    out = await writeOut();
  });

  it('OUT without viewer/index.html: one line naming the file looked for, exit 1', async () => {
    const empty = await tempDir('view-empty');
    const r = await runCli(['view', empty]);
    expect({ status: r.status, out: r.out }).toEqual({ status: 1, out: '' });
    expect(r.err).toBe(`saestream: no viewer in ${empty}: ${path.join(empty, 'viewer', 'index.html')} does not exist; 'saestream interpret --out ${empty}' writes it\n`);
  });

  it('a port in use: one line saying so, exit 1', async () => {
    const held = await occupyPort();
    try {
      const r = await runCli(['view', out, '--port', String(held.port)]);
      expect(r).toEqual({ status: 1, out: '', err: `saestream: port ${held.port} on 127.0.0.1 is in use; choose another with --port P, or --port 0 for any free port\n` });
    } finally {
      await held.release();
    }
  });

  it.each([
    [[], /^saestream: missing OUT; usage: saestream view OUT/],
    [['--port', '65536'], /^saestream: '--port' must be between 0 and 65535 but got '65536'\n$/],
    [['--port', 'http'], /^saestream: '--port' must be a non-negative integer but got 'http'\n$/],
    [['--port'], /^saestream: flag '--port' needs a value: --port P\n$/],
    [['--open'], /^saestream: unknown flag '--open' for 'view'; the flags are \[--port P, --host H, --help\]\n$/],
  ])('%j is a usage error, exit 2', async (args, message) => {
    const r = await runCli(['view', ...(args.length === 0 ? [] : [out, ...args])]);
    expect({ status: r.status, out: r.out }).toEqual({ status: 2, out: '' });
    expect(r.err).toMatch(message);
  });
});

/** `saestream view` as a process: its first stdout line, then its exit after `signal`. */
function runView(args: string[], signal: NodeJS.Signals): Promise<{ line: string; answers: Answer[]; code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', path.join(REPO, 'tools/ts-register.js'), path.join(REPO, 'packages/cli/src/cli.ts'), 'view', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let err = '';
    let line = '';
    const answers: Answer[] = [];
    child.stderr.on('data', (b) => (err += b));
    child.stdout.on('data', async (b) => {
      stdout += b;
      if (line || !stdout.includes('\n')) return;
      line = stdout;
      const url = /^viewer: (\S+)/.exec(line)?.[1] ?? '';
      try {
        answers.push(await get(url, '/'), await get(url, '/data/meta.js'));
      } finally {
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ line, answers, code, err }));
  });
}

describe('saestream view as a process', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('--port 0 prints the address, serves, and exits 0 on %s', async (signal) => {
    const out = await writeOut();
    const r = await runView([out, '--port', '0', '--host', '127.0.0.1'], signal);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.line).toMatch(new RegExp(`^viewer: http://127\\.0\\.0\\.1:\\d+/  \\(or open ${path.join(out, 'viewer', 'index.html').replace(/[.\\]/g, '\\$&')} directly\\)\\n$`));
    expect(r.answers.map((a) => [a.status, a.body])).toEqual([
      [200, FILES['viewer/index.html']],
      [200, FILES['viewer/data/meta.js']],
    ]);
  }, 60_000);
});
