/**
 * The one error class of `@saestream/sae-core`: a stable string `code`, a message naming what
 * was expected and what came (and the valid choices), and the underlying `cause`.
 */
export type SaeErrorCode =
  | 'BAD_ARGUMENT' // an argument outside its valid range or choices
  | 'BACKEND_UNAVAILABLE'; // a tfjs backend was requested by name but cannot load here

export class SaeError extends Error {
  override readonly name = 'SaeError';
  readonly code: SaeErrorCode;

  constructor(code: SaeErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}
