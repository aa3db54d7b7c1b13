/**
 * The one error class of `@saestream/train`: a stable string `code`, a message naming what was
 * expected and what came (and the valid choices), and the underlying `cause`.
 */
export type TrainErrorCode =
  | 'BAD_ARGUMENT' // a config value outside its range or choices
  | 'NO_DATA' // the data directory has no activations, or fewer rows than held-out + one batch
  | 'SHAPE_MISMATCH' // an initial SAE's d_in differs from the shards' d_model
  | 'NON_FINITE' // the loss became NaN/Inf (names the step and the last good checkpoint)
  | 'BAD_CHECKPOINT' // a checkpoint is unreadable, incomplete or of another shape
  | 'RUN_EXISTS' // the output directory already holds a run and --resume was not given
  | 'CONFIG_CHANGED'; // --resume with a config or data that differ from the run's

export class TrainError extends Error {
  override readonly name = 'TrainError';
  readonly code: TrainErrorCode;

  constructor(code: TrainErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.code = code;
  }
}
