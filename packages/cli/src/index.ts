/**
 * @saestream/cli — the `saestream` command. The API is `main`, for scripts and tests that run
 * a command line in-process with their own output sinks; the process entry is cli.ts.
 */
export { main, COMMANDS } from './main';
export { type Command, type CliIo, type TextSink } from './lib/command';
export { CliError, type CliErrorCode } from './lib/errors';
