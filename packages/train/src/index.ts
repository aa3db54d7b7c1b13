/**
 * @saestream/train — the streaming TopK SAE trainer: activation batches in (shards through a
 * seeded shuffle buffer, or any replayable RecordBatch stream), steps of sae-core's sparse
 * trainer, metrics.jsonl, atomic checkpoints and exact resume out.
 *
 * A stage: it may import @saestream/io and @saestream/sae-core, never another stage.
 */
export { TrainError, type TrainErrorCode } from './lib/errors';
export { defaultTrainConfig, validateTrainConfig, lrAt, kAuxFor, type TrainConfig } from './lib/config';
export { trainSae, assertSameRun, evaluateOn, type TrainOptions, type TrainProgress, type TrainResult, type EvalMetrics, type PeriodicEval } from './lib/trainer';
export { shardData, resolveActivationsDir, RowReader, type TrainData } from './lib/data-source';
export { readLatestCheckpoint, CHECKPOINT_POINTER, type Checkpoint, type CheckpointState } from './lib/checkpoint';
export { METRICS_FILE, RUN_FILE, readRunRecord, type RunRecord } from './lib/run-files';
