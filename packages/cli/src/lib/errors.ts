/**
 * The one error class of the CLI. A usage error (the command line is wrong) and a failure of
 * the work (the data is missing or damaged) end the process differently, so the code decides
 * the exit status; errors from the libraries (`IoError`, ...) count as failures of the work.
 */

/** Every way the CLI itself can fail; the exit status follows from the code. */
export type CliErrorCode =
  | 'USAGE' // unknown command or flag, a missing or malformed argument
  | 'NOT_FOUND' // a path named on the command line does not exist
  | 'NOT_SHARDS' // a path that is not a shard directory (no manifest.json, or one the CLI cannot describe)
  | 'DAMAGED' // --verify found a missing, truncated or garbled shard
  | 'PORT_IN_USE'; // `view` could not listen: another process holds the port

/** Exit statuses: 0 success, 1 the work failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}

/** The exit status for anything a command threw. */
export function exitStatus(e: unknown): number {
  return e instanceof CliError && e.code === 'USAGE' ? EXIT.usage : EXIT.failed;
}

/**
 * The one line printed for an error. Errors with a string `code` (the project's error classes,
 * Node's system errors such as EACCES) are expected failures whose messages already name the
 * file and row group; anything else is a bug, and says so.
 */
export function errorLine(e: unknown): string {
  const known = e instanceof Error && (e instanceof CliError || typeof (e as { code?: unknown }).code === 'string');
  const message = e instanceof Error ? e.message : String(e);
  return `saestream: ${known ? '' : 'unexpected error: '}${message.replace(/\s*\n\s*/g, ' ')}\n`;
}
