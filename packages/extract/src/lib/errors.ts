/**
 * The one error class of `@saestream/extract`: a stable string `code`, a message that names
 * what was expected and what came (and lists the valid choices), and the underlying `cause`.
 */
export type ExtractErrorCode =
  | 'BAD_ARGUMENT' // a config value outside its range or choices
  | 'UNKNOWN_HOOK' // a hook name this model does not have (the message lists the valid ones)
  | 'MODEL_NOT_FOUND' // no model files where asked, and no way to fetch them (names the files and where to put them)
  | 'BAD_MODEL' // config.json or weights unreadable, missing tensors, shape mismatches (names the tensor)
  | 'BAD_TOKENS' // token ids ≥ vocab, contexts longer than n_positions
  | 'BAD_CORPUS' // empty corpus, invalid UTF-8, unreadable or malformed files (names the file and line)
  | 'RUNTIME'; // onnxruntime failed to build or run the graph

export class ExtractError extends Error {
  override readonly name = 'ExtractError';
  readonly code: ExtractErrorCode;

  constructor(code: ExtractErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}
