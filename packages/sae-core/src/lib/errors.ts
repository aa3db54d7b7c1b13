/**
 * The one error class of `@saestream/sae-core`: a stable string `code`, a message naming what
 * was expected and what came (and the valid choices), and the underlying `cause`.
 */
export type SaeErrorCode =
  | 'BAD_ARGUMENT' // an argument outside its valid range or choices
  | 'BACKEND_UNAVAILABLE' // a tfjs backend was requested by name but cannot load here
  | 'SHAPE_MISMATCH' // an input's width or a parameter's shape differs from the autoencoder's
  | 'BAD_STATE_DICT' // a .pt / safetensors / cfg.json file lacks a key or has a wrong shape or value
  | 'NON_FINITE'; // a loss or gradient became NaN or infinite

export class SaeError extends Error {
  override readonly name = 'SaeError';
  readonly code: SaeErrorCode;

  constructor(code: SaeErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}
