/**
 * A static file server for the viewer (`saestream view`): GET and HEAD of the files under one
 * root directory, nothing else. Request paths are decoded first and then refused if any
 * segment is `..`, so neither `/../x` nor its percent-encoded forms reach outside the root.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** Content types by extension: what the viewer and its data are made of, and a little more. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export interface StaticServerOptions {
  /** The port; 0 picks a free one (default 0). */
  port?: number;
  /** The interface to listen on (default 127.0.0.1: this machine only). */
  host?: string;
}

export interface StaticServer {
  /** Where a browser on this machine reaches it, e.g. `http://127.0.0.1:8080/`. */
  url: string;
  port: number;
  /** Stops listening and drops open connections (a browser keeps them alive). */
  close(): Promise<void>;
}

/** A plain-text answer with a status. */
function reply(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

/**
 * The file a request path names under `root`, or the HTTP status that refuses it: 400 for a
 * path that does not decode, 403 for one that climbs out of the root.
 */
export function resolveRequestPath(root: string, url: string): { file: string } | { status: 400 | 403 } {
  const raw = url.split(/[?#]/)[0];
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { status: 400 };
  }
  if (!decoded.startsWith('/') || decoded.includes('\0')) return { status: 400 };
  // Checking the decoded segments catches `/../`, `/%2e%2e/` and `/..%2f..%2f` alike; a
  // backslash is a separator to Windows' path module, so it is refused as one too.
  if (decoded.split(/[/\\]/).includes('..')) return { status: 403 };
  const file = path.join(root, decoded);
  const inside = path.relative(root, file);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return { status: 403 };
  return { file: decoded.endsWith('/') ? path.join(file, 'index.html') : file };
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'only GET and HEAD', { allow: 'GET, HEAD' });
  const target = resolveRequestPath(root, req.url ?? '/');
  if ('status' in target) return reply(res, target.status, target.status === 403 ? 'forbidden' : 'bad request');
  let file = target.file;
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    file = path.join(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (!info?.isFile()) return reply(res, 404, 'not found');
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': String(info.size),
    // A rerun of interpret rewrites the data in place: always show the current files.
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

/**
 * Serves the files under `root` until `close()`. Rejects with Node's listen error (`code`
 * EADDRINUSE, EACCES, ...) when the port cannot be had.
 */
export async function startStaticServer(root: string, options: StaticServerOptions = {}): Promise<StaticServer> {
  const absRoot = path.resolve(root);
  const server = createServer((req, res) => {
    handle(absRoot, req, res).catch(() => (res.headersSent ? res.destroy() : reply(res, 500, 'internal error')));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${browsableHost(host)}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The host a browser here should use: the loopback for "every interface", IPv6 in brackets. */
function browsableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
