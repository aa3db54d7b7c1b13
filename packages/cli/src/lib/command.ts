/**
 * What a command is to the router: the words that select it, the lines the help shows, and the
 * work. Commands write through `CliIo` rather than `process.stdout`, so tests run them in
 * memory and only the bin touches the process.
 */

/** Anything with `write(text)`: process.stdout, a Writable, or a string collector in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** Where a command prints: results to `out` (pipeable), everything else to `err`. */
export interface CliIo {
  out: TextSink;
  err: TextSink;
}

export interface Command {
  /** The words that select it, e.g. `shards inspect`. */
  name: string;
  /** One line for the top-level command list. */
  summary: string;
  /** The synopsis, e.g. `saestream shards inspect DIR [--head N]`; quoted in usage errors. */
  usage: string;
  /** The full `--help` text: synopsis, description, arguments, flags, examples. */
  help: string;
  /** Does the work and returns the exit status; throws `CliError` or a library error on failure. */
  run(args: string[], io: CliIo): Promise<number>;
}
