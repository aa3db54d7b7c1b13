/**
 * A stand-in for the Hugging Face hub on 127.0.0.1, serving model repos from local directories
 * with the routes and headers @huggingface/hub 2.17 uses to download a file into the cache:
 *
 *   GET  /api/models/<repo>/revision/<rev>?expand=...   → { _id, id, sha, private, ... }       (modelInfo)
 *   POST /api/models/<repo>/paths-info/<rev>  {paths}    → [{ type, path, oid, size, lfs?, lastCommit }]
 *   GET  /<repo>/resolve/<rev>/<file>  [Range: bytes=a-b] → 206 + Content-Range, or 200 + the whole file;
 *                                        ETag, X-Repo-Commit, and for LFS files X-Linked-ETag / X-Linked-Size
 *
 * `<rev>` is `main`, `HEAD` or the repo's commit. Each repo has one commit, the sha1 of its files'
 * sha256s. `.safetensors` files are served as LFS (etag = sha256 of the content), the others as
 * git blobs (etag = git's blob sha1), as the hub does. Unknown repos, revisions or files give 404
 * with the hub's `X-Error-Code`. Every request is logged in `requests` as `METHOD path`.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeHub {
  /** Base URL, e.g. `http://127.0.0.1:41234`: pass as `hubUrl`. */
  url: string;
  /** Every request served, `GET /api/models/...`. */
  requests: string[];
  /** The commit each repo's `main` points to. */
  commits: Map<string, string>;
  /** Stops the server (and its connections); later requests are refused. Idempotent. */
  close(): Promise<void>;
}

interface ServedFile {
  bytes: Buffer;
  etag: string;
  lfs: boolean;
}

const sha = (algo: 'sha1' | 'sha256', ...parts: (string | Buffer)[]): string => {
  const h = createHash(algo);
  parts.forEach((p) => h.update(p));
  return h.digest('hex');
};

function loadRepo(dir: string): { commit: string; files: Map<string, ServedFile> } {
  const files = new Map<string, ServedFile>();
  for (const name of readdirSync(dir).sort()) {
    const bytes = readFileSync(join(dir, name));
    const lfs = name.endsWith('.safetensors');
    const etag = lfs ? sha('sha256', bytes) : sha('sha1', `blob ${bytes.length}\0`, bytes);
    files.set(name, { bytes, etag, lfs });
  }
  const commit = sha('sha1', ...[...files.values()].map((f) => sha('sha256', f.bytes)));
  return { commit, files };
}

/** Serves `repos` (repo id → directory of its files) until `close()`. */
export async function startFakeHub(repos: Record<string, string>): Promise<FakeHub> {
  const served = new Map(Object.entries(repos).map(([id, dir]) => [id, loadRepo(dir)]));
  const requests: string[] = [];

  const notFound = (res: ServerResponse, code: string): void => {
    res.writeHead(404, { 'Content-Type': 'application/json', 'X-Error-Code': code });
    res.end(JSON.stringify({ error: code }));
  };
  const json = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  /** The repo and the rest of the path around `/<marker>/`, if the repo and revision exist. */
  const split = (path: string, marker: string) => {
    const at = path.indexOf(`/${marker}/`);
    if (at < 0) return undefined;
    const repoId = path.slice(0, at);
    const [rev, ...rest] = path.slice(at + marker.length + 2).split('/');
    return { repoId, repo: served.get(repoId), rev: decodeURIComponent(rev), rest: rest.join('/') };
  };
  const revOk = (rev: string, commit: string) => rev === 'main' || rev === 'HEAD' || rev === commit;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    requests.push(`${req.method} ${path}`);
    if (path.startsWith('/api/models/')) {
      const api = path.slice('/api/models/'.length);
      const info = split(api, 'revision');
      if (req.method === 'GET' && info) {
        if (!info.repo) return notFound(res, 'RepoNotFound');
        if (!revOk(info.rev, info.repo.commit)) return notFound(res, 'RevisionNotFound');
        const siblings = [...info.repo.files.keys()].map((rfilename) => ({ rfilename }));
        return json(res, { _id: info.repoId, id: info.repoId, sha: info.repo.commit, private: false, gated: false, downloads: 0, likes: 0, lastModified: '2024-01-01T00:00:00.000Z', pipeline_tag: 'text-generation', siblings });
      }
      const paths = split(api, 'paths-info');
      if (req.method === 'POST' && paths) {
        if (!paths.repo) return notFound(res, 'RepoNotFound');
        if (!revOk(paths.rev, paths.repo.commit)) return notFound(res, 'RevisionNotFound');
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { paths: string[] };
        const commit = paths.repo.commit;
        const entries = body.paths.flatMap((p) => {
          const f = paths.repo?.files.get(p);
          if (!f) return [];
          const lfs = f.lfs ? { oid: f.etag, size: f.bytes.length, pointerSize: 134 } : undefined;
          const oid = f.lfs ? sha('sha1', 'lfs pointer', f.etag) : f.etag;
          return [{ type: 'file', path: p, oid, size: f.bytes.length, lfs, lastCommit: { id: commit, title: 'add model', date: '2024-01-01T00:00:00.000Z' } }];
        });
        return json(res, entries);
      }
      return notFound(res, 'RepoNotFound');
    }
    const file = split(path.slice(1), 'resolve');
    if (req.method !== 'GET' || !file) return notFound(res, 'RepoNotFound');
    if (!file.repo) return notFound(res, 'RepoNotFound');
    if (!revOk(file.rev, file.repo.commit)) return notFound(res, 'RevisionNotFound');
    const f = file.repo.files.get(file.rest);
    if (!f) return notFound(res, 'EntryNotFound');
    const headers: Record<string, string> = { ETag: `"${f.etag}"`, 'X-Repo-Commit': file.repo.commit, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (f.lfs) Object.assign(headers, { 'X-Linked-ETag': `"${f.etag}"`, 'X-Linked-Size': String(f.bytes.length) });
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(range[2] === '' ? f.bytes.length - 1 : Number(range[2]), f.bytes.length - 1);
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${f.bytes.length}`, 'Content-Length': String(end - start + 1) });
      return void res.end(f.bytes.subarray(start, end + 1));
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(f.bytes.length) });
    res.end(f.bytes);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      res.writeHead(500);
      res.end(e.message);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    commits: new Map([...served].map(([id, r]) => [id, r.commit])),
    close: () =>
      new Promise<void>((done, fail) => {
        if (!server.listening) return done(); // closing twice is fine
        server.closeAllConnections();
        server.close((e) => (e ? fail(e) : done()));
      }),
  };
}
