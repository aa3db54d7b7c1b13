/**
 * Parquet encoding and decoding through parquet-wasm. Arrow batches cross into wasm as an IPC
 * stream; row groups come back one at a time from a lazily read file (`fs.openAsBlob`), so a
 * reader holds one row group, not a whole shard, in memory.
 *
 * Codecs, measured here on 32k×768 float rows (DESIGN.md machine): the float column does not
 * compress (random mantissas; zstd saves ~7%) and zstd halves both write and read speed, so
 * FixedSizeList<Float32> columns default to snappy, without dictionaries; the small integer
 * columns (ctx, pos, token, tokens) use zstd, where it pays.
 */
import { openAsBlob } from 'node:fs';
import { RecordBatch, Schema, Table, tableFromIPC, tableToIPC, Type } from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { IoError } from './errors';

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
  /** Codec of the integer and list-of-integer columns. */
  codec: Codec;
  /** Codec of FixedSizeList<Float32> columns (the activations). */
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
  let props = new pw.WriterPropertiesBuilder()
    .setCompression(PW_CODEC[layout.codec])
    .setMaxRowGroupSize(layout.rowGroupRows)
    .setCreatedBy('saestream');
  for (const f of schema.fields) {
    if (f.type.typeId === Type.FixedSizeList && f.type.children[0].type.typeId === Type.Float) {
      // arrow-rs names a list's leaf `<column>.list.item`.
      const leaf = `${f.name}.list.item`;
      props = props.setColumnCompression(leaf, PW_CODEC[layout.floatCodec]).setColumnDictionaryEnabled(leaf, false);
    }
  }
  const table = pw.Table.fromIPCStream(tableToIPC(new Table(schema, batches), 'stream'));
  return pw.writeParquet(table, props.build());
}

/**
 * Where each row group's bytes lie, from the Parquet metadata of freshly encoded bytes.
 * arrow-rs writes row groups back to back after the 4-byte magic, then page indexes and the
 * footer: row group g is [start_g, start_g + compressedSize_g), the first one starting at 0 so
 * that the magic is covered, and the tail [end of the last, EOF) holds the rest.
 */
export async function rowGroupSizes(bytes: Uint8Array): Promise<number[]> {
  const pf = await pw.ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  try {
    return pf.metadata().rowGroups().map((g, i) => g.compressedSize() + (i === 0 ? 4 : 0));
  } finally {
    pf.free();
  }
}

/** An open shard: its row groups and its schema metadata. */
export interface ParquetShard {
  file: string;
  rowGroups: number[]; // rows per row group
  metadata: Map<string, string>;
  /** Decodes one row group as a single batch carrying the file's schema metadata. */
  readRowGroup(index: number): Promise<RecordBatch>;
  close(): void;
}

/** Opens a Parquet file for reading by row group. */
export async function openParquet(file: string): Promise<ParquetShard> {
  let pf: pw.ParquetFile;
  try {
    pf = await pw.ParquetFile.fromFile(await openAsBlob(file));
  } catch (e) {
    throw new IoError('CORRUPT_SHARD', `not a readable Parquet file: ${errorText(e)}`, { file, cause: e });
  }
  const meta = pf.metadata();
  const rowGroups = meta.rowGroups().map((g) => g.numRows());
  const metadata = arrowSchemaMetadata(meta.fileMetadata().keyValueMetadata().get('ARROW:schema'));
  return {
    file,
    rowGroups,
    metadata,
    async readRowGroup(index: number): Promise<RecordBatch> {
      let table: Table;
      try {
        const wasmTable = await pf.read({ rowGroups: [index], batchSize: rowGroups[index] });
        table = tableFromIPC(wasmTable.intoIPCStream());
      } catch (e) {
        throw new IoError('CORRUPT_SHARD', `row group cannot be decoded: ${errorText(e)}`, { file, rowGroup: index, cause: e });
      }
      if (table.batches.length !== 1 || table.numRows !== rowGroups[index]) {
        throw new IoError('CORRUPT_SHARD', `row group decoded to ${table.numRows} rows in ${table.batches.length} batches; expected ${rowGroups[index]} rows`, { file, rowGroup: index });
      }
      const schema = new Schema(table.schema.fields, metadata);
      return new RecordBatch(schema, table.batches[0].data);
    },
    close: () => pf.free(),
  };
}

/**
 * The schema metadata stored in `ARROW:schema`: base64 of one IPC schema message. Followed by
 * an end-of-stream marker it is an IPC stream of no batches, which Arrow JS parses.
 */
function arrowSchemaMetadata(encoded: string | undefined): Map<string, string> {
  if (encoded === undefined) return new Map();
  const message = Buffer.from(encoded, 'base64');
  const eos = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  return tableFromIPC(Buffer.concat([message, eos])).schema.metadata;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
