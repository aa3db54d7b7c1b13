/**
 * The one error class of `@saestream/interpret`: a stable string `code`, a message naming what
 * was expected and what came (and the valid choices), and the underlying `cause`.
 */
export type InterpretErrorCode =
  | 'BAD_ARGUMENT' // a config value outside its range or choices (e.g. --latents)
  | 'MISMATCH' // SAE and activations from different models, hooks or widths (names both)
  | 'NO_DATA' // no activations, or no contexts for the join
  | 'NOT_CONTIGUOUS'; // a context's rows are not together in the stream (shuffled input)

export class InterpretError extends Error {
  override readonly name = 'InterpretError';
  readonly code: InterpretErrorCode;

  constructor(code: InterpretErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}
