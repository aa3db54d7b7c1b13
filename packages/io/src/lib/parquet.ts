/**
 * Parquet encoding and decoding through parquet-wasm. Arrow batches cross into wasm as an IPC
 * stream; row groups come back one at a time, decoded in worker threads (shard-workers.ts)
 * from a lazily read file (`fs.openAsBlob`), so a reader holds row groups, not shards, in memory.
 *
 * Codecs, measured here on 32k×768 float rows (DESIGN.md machine): the float column does not
 * compress (random mantissas; zstd saves ~7%), a dictionary attempt on it costs half the write
 * speed, and zstd halves read speed: list columns default to snappy without a dictionary; the
 * small integer columns (ctx, pos, token) use zstd with dictionaries, where they pay.
 */
import { RecordBatch, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { IoError, IoErrorWhere } from './errors';

export const CODECS = ['zstd', 'snappy', 'lz4', 'none'] as const;
export type Codec = (typeof CODECS)[number];

const PW_CODEC: Record<Codec, pw.Compression> = {
  zstd: pw.Compression.ZSTD,
  snappy: pw.Compression.SNAPPY,
  lz4: pw.Compression.LZ4_RAW,
  none: pw.Compression.UNCOMPRESSED,
};

/** How a shard is laid out and compressed. */
export interface ParquetLayout {
  /** Rows per row group: the unit a reader decodes at once. */
  rowGroupRows: number;
  /** Codec of the top-level integer columns (ctx, pos, token, doc, offset). */
  codec: Codec;
  /** Codec of the list columns: the activations' floats (and contexts' token lists). */
  floatCodec: Codec;
}

export function checkCodec(name: string, value: string): Codec {
  if (!(CODECS as readonly string[]).includes(value)) {
    throw new IoError('BAD_ARGUMENT', `'${name}' must be one of [${CODECS.join(', ')}] but got '${value}'`);
  }
  return value as Codec;
}

/**
 * Encodes batches of one schema as one Parquet file. The Arrow schema, metadata included,
 * travels in the file's `ARROW:schema` key as arrow-rs and pyarrow write it. (Passing the
 * metadata again as key-value pairs makes the bytes vary run to run: parquet-wasm stores them
 * through a hash map; without it, identical input gives identical files.)
 */
export function encodeParquet(schema: Schema, batches: RecordBatch[], layout: ParquetLayout): Uint8Array {
  // parquet-wasm takes a column name as a one-part path, so only top-level columns can be set
  // one by one: the float codec (no dictionary) is the default, and top-level primitive
  // columns are switched to `codec`. Nested columns (act's floats, contexts' tokens) keep the default.
  let props = new pw.WriterPropertiesBuilder()
    .setCompression(PW_CODEC[layout.floatCodec])
    .setDictionaryEnabled(false)
    .setMaxRowGroupSize(layout.rowGroupRows)
    .setCreatedBy('saestream');
  for (const f of schema.fields) {
    if (f.type.children?.length) continue;
    props = props.setColumnCompression(f.name, PW_CODEC[layout.codec]).setColumnDictionaryEnabled(f.name, true);
  }
  const table = pw.Table.fromIPCStream(tableToIPC(new Table(schema, batches), 'stream'));
  return pw.writeParquet(table, props.build());
}

/** A batch decoded from Arrow IPC stream bytes (one batch expected), given the schema metadata to carry. */
export function batchFromIPC(ipc: Uint8Array, metadata: Map<string, string>, rows: number, where: IoErrorWhere): RecordBatch {
  const table = tableFromIPC(ipc);
  if (table.batches.length !== 1 || table.numRows !== rows) {
    throw new IoError('CORRUPT_SHARD', `row group decoded to ${table.numRows} rows in ${table.batches.length} batches; expected ${rows} rows`, where);
  }
  return new RecordBatch(new Schema(table.schema.fields, metadata), table.batches[0].data);
}
