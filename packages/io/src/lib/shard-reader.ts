/**
 * Reads a shard directory back as record batches, one Parquet row group at a time, so memory
 * is bounded by a row group (and the shuffle buffer), never by the number of shards.
 *
 * Before any row is read, every shard the manifest lists must exist with its listed size.
 * With `verify` (the default), a shard's footer bytes are checked against the manifest's
 * digest before the file is opened, and each row group's bytes before it is decoded, so
 * damaged data is reported by file and row group and never reaches the decoder.
 */
import { FileHandle, open, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { RecordBatch } from 'apache-arrow';
import { sha256 } from './atomic-fs';
import { IoError } from './errors';
import { Manifest, requireManifest, ShardEntry } from './manifest';
import { openParquet, ParquetShard } from './parquet';
import { seededRng, shuffleInPlace } from './rng';
import { ShuffleConfig, shuffleRows } from './shuffle';
import { SchemaExpectation, validateBatch } from './validate';

export interface ShardReaderConfig {
  /** Check each shard's footer and row groups against the manifest's sha256 digests before decoding them. */
  verify: boolean;
  /** Raise on NaN/±Inf activations (names the shard and row group). */
  checkFinite: boolean;
  /** What the caller needs: schema name, d_model. */
  expect: SchemaExpectation;
  /** Shuffle rows across shards with a seeded buffer; off when absent. */
  shuffle?: Partial<ShuffleConfig>;
}

export const defaultShardReaderConfig: ShardReaderConfig = { verify: true, checkFinite: false, expect: {} };

async function checkPresent(dir: string, shards: ShardEntry[]): Promise<void> {
  for (const s of shards) {
    const file = path.join(dir, s.file);
    const size = await stat(file).then(
      (st) => st.size,
      () => undefined,
    );
    if (size === undefined) throw new IoError('MISSING_SHARD', `the manifest lists ${s.file} but it is not on disk`, { file });
    if (size !== s.bytes) throw new IoError('CORRUPT_SHARD', `expected ${s.bytes} bytes as the manifest says but found ${size} (truncated or replaced)`, { file });
  }
}

/** Checks bytes [start, start + length) of a file against a digest. */
async function verifyRange(handle: FileHandle, start: number, length: number, digest: string, file: string, rowGroup?: number): Promise<void> {
  const bytes = new Uint8Array(length);
  await handle.read(bytes, 0, length, start);
  const got = sha256(bytes);
  if (got !== digest) {
    const what = rowGroup === undefined ? 'footer' : 'row group';
    throw new IoError('CHECKSUM_MISMATCH', `${what} bytes have sha256 ${got} but the manifest says ${digest}`, { file, rowGroup });
  }
}

/** Row groups of every shard, in order, as batches carrying the directory's schema metadata. */
async function* readInOrder(dir: string, manifest: Manifest, config: ShardReaderConfig, seed?: number): AsyncGenerator<RecordBatch> {
  const rng = seed === undefined ? undefined : seededRng(seed);
  const shards = rng ? shuffleInPlace([...manifest.shards], rng) : manifest.shards;
  let checkedSchema = false;
  for (const entry of shards) {
    const file = path.join(dir, entry.file);
    const starts = entry.rowGroupBytes.map((_, g) => entry.rowGroupBytes.slice(0, g).reduce((a, b) => a + b, 0));
    const tail = starts.length ? starts[starts.length - 1] + entry.rowGroupBytes[starts.length - 1] : 0;
    const handle = config.verify ? await open(file, 'r') : undefined;
    let shard: ParquetShard | undefined;
    try {
      if (handle) await verifyRange(handle, tail, entry.bytes - tail, entry.tailSha256, file);
      shard = await openParquet(file);
      const rows = shard.rowGroups.reduce((a, b) => a + b, 0);
      if (rows !== entry.rows || shard.rowGroups.length !== entry.rowGroupBytes.length) {
        throw new IoError('CORRUPT_SHARD', `holds ${rows} rows in ${shard.rowGroups.length} row groups but the manifest lists ${entry.rows} in ${entry.rowGroupBytes.length}`, { file });
      }
      const order = shard.rowGroups.map((_, i) => i);
      if (rng) shuffleInPlace(order, rng);
      for (const g of order) {
        if (handle) await verifyRange(handle, starts[g], entry.rowGroupBytes[g], entry.rowGroupSha256[g], file, g);
        const batch = await shard.readRowGroup(g);
        if (!checkedSchema || config.checkFinite) {
          validateBatch(batch, { ...config.expect, checkFinite: config.checkFinite }, { file, rowGroup: g });
          checkedSchema = true;
        }
        yield batch;
      }
    } finally {
      shard?.close();
      await handle?.close();
    }
  }
}

/** All rows of a shard directory as an async generator of batches. */
export async function* readShards(dir: string, config: Partial<ShardReaderConfig> = {}): AsyncGenerator<RecordBatch> {
  const c = { ...defaultShardReaderConfig, ...config };
  const manifest = await requireManifest(dir);
  await checkPresent(dir, manifest.shards);
  if (!c.shuffle) {
    yield* readInOrder(dir, manifest, c);
    return;
  }
  // Shard and row-group order are drawn from the seed too, so the buffer mixes distant rows.
  const seed = c.shuffle.seed ?? 0;
  yield* shuffleRows(readInOrder(dir, manifest, c, seed ^ 0x9e3779b9), c.shuffle);
}

/** {@link readShards} as a Node object-mode Readable. */
export function shardSource(dir: string, config: Partial<ShardReaderConfig> = {}): Readable {
  return Readable.from(readShards(dir, config), { objectMode: true, highWaterMark: 2 });
}
