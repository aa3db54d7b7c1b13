/**
 * Reads a shard directory back as record batches, one per Parquet row group, decoded by worker
 * threads a few row groups ahead of the consumer: memory is bounded by the row groups in flight
 * (two per worker) and the shuffle buffer, never by the number or size of the shards.
 *
 * Before any row is read, every shard the manifest lists must exist with its listed size.
 * With `verify` (the default), a shard's footer bytes are checked against the manifest's
 * digest before the file is opened, and each row group's bytes before it is decoded, so
 * damaged data is reported by file and row group and never reaches the decoder.
 */
import { availableParallelism } from 'node:os';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { RecordBatch } from 'apache-arrow';
import { IoError } from './errors';
import { Manifest, requireManifest, ShardEntry } from './manifest';
import { batchFromIPC } from './parquet';
import { ShardWorkers } from './shard-workers';
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
  /** Worker threads decoding row groups ahead of the consumer (2 × this many in flight). */
  workers: number;
}

export const defaultShardReaderConfig: ShardReaderConfig = { verify: true, checkFinite: false, expect: {}, workers: Math.min(2, availableParallelism()) };

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

/** Row groups of every shard, in order, as batches carrying the directory's schema metadata. */
async function* readInOrder(dir: string, manifest: Manifest, config: ShardReaderConfig, seed?: number): AsyncGenerator<RecordBatch> {
  const rng = seed === undefined ? undefined : seededRng(seed);
  const shards = rng ? shuffleInPlace([...manifest.shards], rng) : manifest.shards;
  const metadata = new Map(Object.entries(manifest.metadata));
  const workers = new ShardWorkers(config.workers);
  // Decodes run ahead of the consumer, in order; a rejection is handled when its turn comes.
  const ahead: { promise: Promise<Uint8Array>; file: string; rowGroup: number; rows: number }[] = [];
  let checkedSchema = false;
  async function next(): Promise<RecordBatch> {
    const { promise, file, rowGroup, rows } = ahead.shift()!;
    const batch = batchFromIPC(await promise, metadata, rows, { file, rowGroup });
    if (!checkedSchema || config.checkFinite) {
      validateBatch(batch, { ...config.expect, checkFinite: config.checkFinite }, { file, rowGroup });
      checkedSchema = true;
    }
    return batch;
  }
  try {
    for (const entry of shards) {
      const file = path.join(dir, entry.file);
      const starts = entry.rowGroupBytes.map((_, g) => entry.rowGroupBytes.slice(0, g).reduce((a, b) => a + b, 0));
      const tail = starts.length ? starts[starts.length - 1] + entry.rowGroupBytes[starts.length - 1] : 0;
      const footer = config.verify ? { start: tail, length: entry.bytes - tail, sha256: entry.tailSha256 } : undefined;
      const rowGroups = await workers.open({ kind: 'open', file, check: footer });
      const rows = rowGroups.reduce((a, b) => a + b, 0);
      if (rows !== entry.rows || rowGroups.length !== entry.rowGroupBytes.length) {
        throw new IoError('CORRUPT_SHARD', `holds ${rows} rows in ${rowGroups.length} row groups but the manifest lists ${entry.rows} in ${entry.rowGroupBytes.length}`, { file });
      }
      const order = rowGroups.map((_, i) => i);
      if (rng) shuffleInPlace(order, rng);
      for (const g of order) {
        const check = config.verify ? { start: starts[g], length: entry.rowGroupBytes[g], sha256: entry.rowGroupSha256[g] } : undefined;
        const promise = workers.decode({ kind: 'decode', file, rowGroup: g, rows: rowGroups[g], check });
        promise.catch(() => undefined);
        ahead.push({ promise, file, rowGroup: g, rows: rowGroups[g] });
        if (ahead.length > 2 * config.workers) yield await next();
      }
    }
    while (ahead.length) yield await next();
  } finally {
    await workers.close();
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
