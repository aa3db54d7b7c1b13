/**
 * @saestream/io — the data contracts of saestream and the files they live in: Arrow schemas
 * and batches, Parquet shard directories, stream helpers, and the safetensors and torch `.pt`
 * formats that checkpoints come in. Knows no tensors.
 */
export { IoError, type IoErrorCode } from './lib/errors';
export { activationsSchema, contextsSchema, activationsMeta, SCHEMA_KEY, type ActivationsMeta, type SchemaName } from './lib/schemas';
export { activationsBatch, contextsBatch, activationColumns, contextColumns, type ActivationColumns, type ContextColumns } from './lib/batches';
export { validateSchema, validateBatch, type SchemaExpectation } from './lib/validate';
export { ShardWriter, shardSink, defaultShardWriterConfig, type ShardWriterConfig } from './lib/shard-writer';
export { readShards, shardSource, defaultShardReaderConfig, type ShardReaderConfig } from './lib/shard-reader';
export { readManifest, type Manifest, type ShardEntry } from './lib/manifest';
export { writeFileAtomic } from './lib/atomic-fs';
export { take, rebatch, tee, withProgress, type Progress } from './lib/streams';
export { shuffleRows, type ShuffleConfig } from './lib/shuffle';
export { type Codec } from './lib/parquet';
export { writeParquetTable, readParquetTable } from './lib/parquet-table';
export { parseSafetensors, serializeSafetensors, readSafetensors, writeSafetensors, toFloat32, type Tensor, type DType, type Safetensors } from './lib/safetensors';
export { readTorchStateDict, parseTorchStateDict, type TorchStateDict } from './lib/torch-pt';
