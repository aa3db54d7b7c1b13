/**
 * The process entry, shared by the installed bin (bin/saestream.js loads dist/cli.js) and by
 * development runs from source (`node -r tools/ts-register.js packages/cli/src/cli.ts`).
 */
import { main } from './main';

// A reader that stops early (`| head`) closes the pipe; stop quietly then, as Unix tools do,
// rather than dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit();
});

void main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
