/**
 * `saestream view OUT`: serves the viewer that `saestream interpret --out OUT` wrote to
 * OUT/viewer/ over http on this machine, until Ctrl-C (SIGINT) or SIGTERM.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { nonNegativeInt, parseFlags, positionals } from '../args';
import { Command, CliIo } from '../command';
import { CliError, EXIT } from '../errors';
import { startStaticServer, StaticServer } from '../static-server';

const usage = 'saestream view OUT [--port P] [--host H]';

const DEFAULT_PORT = 8080;
const DEFAULT_HOST = '127.0.0.1';

const flags = {
  port: { type: 'string', value: 'P' },
  host: { type: 'string', value: 'H' },
} as const;

const help = `Usage: ${usage}

Serve the viewer of an interpret run (OUT/viewer/: index.html, app.js, style.css, data/)
over http, and print its address. It serves until Ctrl-C or SIGTERM. The same files also
work without a server: open OUT/viewer/index.html in a browser.

Arguments:
  OUT          the directory given to 'saestream interpret --out'

Flags:
  --port P     the port (default ${DEFAULT_PORT}); 0 picks any free port
  --host H     the interface to listen on (default ${DEFAULT_HOST}, this machine only;
               0.0.0.0 for every interface)
  -h, --help   print this help

Exit status: 0 stopped by Ctrl-C or SIGTERM, 1 no viewer in OUT or the port is taken,
2 usage error.

Example:
  saestream view runs/tiny-interp --port 0
`;

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_PORT;
  const port = nonNegativeInt('--port', raw);
  if (port > 65535) throw new CliError('USAGE', `'--port' must be between 0 and 65535 but got '${raw}'`);
  return port;
}

/** Resolves with the first of SIGINT or SIGTERM, and stops listening for both then. */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function listen(root: string, port: number, host: string): Promise<StaticServer> {
  try {
    return await startStaticServer(root, { port, host });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    throw new CliError('PORT_IN_USE', `port ${port} on ${host} is in use; choose another with --port P, or --port 0 for any free port`, { cause: e });
  }
}

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags('view', args, flags);
  const [out] = positionals(usage, parsed.positionals, ['OUT']);
  const port = parsePort(parsed.flags.port);
  const host = parsed.flags.host ?? DEFAULT_HOST;
  const root = path.join(out, 'viewer');
  const index = path.join(root, 'index.html');
  if (!existsSync(index)) {
    throw new CliError('NOT_FOUND', `no viewer in ${out}: ${index} does not exist; 'saestream interpret --out ${out}' writes it`);
  }
  const server = await listen(root, port, host);
  io.out.write(`viewer: ${server.url}  (or open ${index} directly)\n`);
  await untilStopped();
  await server.close();
  return EXIT.ok;
}

export const view: Command = {
  name: 'view',
  summary: "serve an interpret run's viewer (OUT/viewer/) over http until Ctrl-C",
  usage,
  help,
  run,
};
