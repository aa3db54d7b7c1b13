/**
 * Writes a stream of record batches as Parquet shards of `rowsPerShard` rows:
 *
 *   dir/part-00000.parquet … part-NNNNN.parquet   complete shards, each renamed into place whole
 *   dir/manifest.json                             the list of complete shards, rewritten last
 *
 * The writer keeps the batches it is given (Arrow batches are immutable: a producer must not
 * change an array after handing it over) and encodes a shard when it holds `rowsPerShard`
 * rows. The encoded shard is hashed and written to disk on libuv's threads while the next
 * shard fills (in a worker thread: see shard-workers.ts); at most one shard is in flight, and
 * `close()` waits for it. A killed writer leaves at most a
 * temporary file and a shard the manifest does not list; opening the directory again removes
 * those and continues after the listed shards, so a deterministic producer that skips
 * `resumedRows` rows reproduces an uninterrupted run's files exactly.
 */
import { readdir, mkdir, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { RecordBatch, Schema } from 'apache-arrow';
import { isTmpName } from './atomic-fs';
import { IoError } from './errors';
import { Manifest, MANIFEST_FORMAT, readManifest, shardFileName, writeManifest } from './manifest';
import { checkCodec, Codec, encodeParquet } from './parquet';
import { ShardWorkers } from './shard-workers';
import { validateBatch, validateSchema } from './validate';

export interface ShardWriterConfig {
  /** The schema every batch must have, metadata included (e.g. from `activationsSchema`). */
  schema: Schema;
  /** Rows per shard; the last shard may be shorter. Keep ≤ 65536 rows of 768 floats (parquet-wasm's 4 GiB memory). */
  rowsPerShard: number;
  /**
   * Rows per Parquet row group, the unit a reader decodes at once (in a worker). 2048 read
   * fastest in the io benchmark here: 161 MB/s, against 148 for 1024, 149 for 4096, 142 for 8192.
   */
  rowGroupRows: number;
  /** Codec of the integer columns. */
  codec: Codec;
  /** Codec of the float activation column (see parquet.ts for the measurements behind the default). */
  floatCodec: Codec;
  /** Reject batches holding NaN or ±Inf activations. */
  checkFinite: boolean;
}

export const defaultShardWriterConfig: Omit<ShardWriterConfig, 'schema'> = {
  rowsPerShard: 32768,
  rowGroupRows: 2048,
  codec: 'zstd',
  floatCodec: 'snappy',
  checkFinite: false,
};

export function validateShardWriterConfig(config: Partial<ShardWriterConfig> & { schema: Schema }): ShardWriterConfig {
  const c = { ...defaultShardWriterConfig, ...config };
  validateSchema(c.schema);
  for (const key of ['rowsPerShard', 'rowGroupRows'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new IoError('BAD_ARGUMENT', `'${key}' must be a positive integer but got ${c[key]}`);
  }
  checkCodec('codec', c.codec);
  checkCodec('floatCodec', c.floatCodec);
  return c;
}

const sameMetadata = (a: Record<string, string>, b: Map<string, string>): boolean =>
  Object.keys(a).length === b.size && [...b].every(([k, v]) => a[k] === v);

export class ShardWriter {
  /** Rows the directory already held in complete shards when it was opened. */
  readonly resumedRows: number;
  /** Batches (or slices) of the shard being filled, and their row count. */
  private pending: RecordBatch[] = [];
  private pendingRows = 0;
  /** The shard being hashed and written, if any; its failure surfaces at the next write or close. */
  private inFlight: Promise<void> = Promise.resolve();
  private readonly workers = new ShardWorkers(1);
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly config: ShardWriterConfig,
    private readonly manifest: Manifest,
  ) {
    this.resumedRows = manifest.rows;
  }

  /** Opens `dir` for writing, creating it, or resuming after the shards its manifest lists. */
  static async open(dir: string, config: Partial<ShardWriterConfig> & { schema: Schema }): Promise<ShardWriter> {
    const c = validateShardWriterConfig(config);
    const schema = validateSchema(c.schema);
    await mkdir(dir, { recursive: true });
    const existing = await readManifest(dir);
    if (existing && (existing.schema !== schema || !sameMetadata(existing.metadata, c.schema.metadata))) {
      throw new IoError(
        'BAD_MANIFEST',
        `the directory holds ${existing.schema} shards with metadata ${JSON.stringify(existing.metadata)}, ` +
          `but this writer's schema is ${schema} with ${JSON.stringify(Object.fromEntries(c.schema.metadata))}; use another directory`,
        { file: dir },
      );
    }
    const manifest: Manifest = existing ?? { format: MANIFEST_FORMAT, schema, metadata: Object.fromEntries(c.schema.metadata), rows: 0, shards: [] };
    // Remove what an interrupted run left: temporary files, and shards renamed into place whose manifest update never happened.
    const listed = new Set(manifest.shards.map((s) => s.file));
    for (const name of await readdir(dir)) {
      if (isTmpName(name) || (/^part-\d+\.parquet$/.test(name) && !listed.has(name))) await unlink(path.join(dir, name));
    }
    return new ShardWriter(dir, c, manifest);
  }

  /** Rows durable in complete shards so far. */
  get rowsWritten(): number {
    return this.manifest.rows;
  }

  /** Waits for the shard being written, if any; resolves with the rows now durable. */
  async durable(): Promise<number> {
    await this.inFlight;
    return this.manifest.rows;
  }

  /** Adds a batch; resolves once it is held, with at most one completed shard still being written. */
  async write(batch: RecordBatch): Promise<void> {
    if (this.closed) throw new IoError('BAD_ARGUMENT', `write() after close()`, { file: this.dir });
    if (batch.numRows === 0) return;
    const name = validateBatch(batch, { checkFinite: this.config.checkFinite });
    if (!sameMetadata(this.manifest.metadata, batch.schema.metadata)) {
      throw new IoError('SCHEMA_MISMATCH', `a ${name} batch's metadata ${JSON.stringify(Object.fromEntries(batch.schema.metadata))} differs from the writer's ${JSON.stringify(this.manifest.metadata)}`, { file: this.dir });
    }
    for (let from = 0; from < batch.numRows; ) {
      const to = Math.min(batch.numRows, from + this.config.rowsPerShard - this.pendingRows);
      this.pending.push(from === 0 && to === batch.numRows ? batch : batch.slice(from, to));
      this.pendingRows += to - from;
      from = to;
      if (this.pendingRows === this.config.rowsPerShard) await this.flush();
    }
  }

  /** Writes the last, partial shard, marks the manifest complete and returns it. */
  async close(): Promise<Manifest> {
    if (!this.closed) {
      this.closed = true;
      try {
        await this.flush();
        await this.inFlight;
        this.manifest.complete = true;
        await writeManifest(this.dir, this.manifest);
      } finally {
        await this.workers.close();
      }
    }
    return this.manifest;
  }

  /** Encodes the pending rows (main thread), then hands the bytes to {@link persist} once the previous shard is durable. */
  private async flush(): Promise<void> {
    const rows = this.pendingRows;
    if (rows === 0) return;
    const bytes = encodeParquet(this.config.schema, this.pending, this.config);
    this.pending = [];
    this.pendingRows = 0;
    await this.inFlight;
    const written = this.persist(bytes, rows);
    written.catch(() => undefined); // awaited by the next flush or close, which rethrow
    this.inFlight = written;
  }

  /** Writes one encoded shard into place (worker thread), then lists it in the manifest. */
  private async persist(bytes: Uint8Array, rows: number): Promise<void> {
    const file = shardFileName(this.manifest.shards.length);
    const size = bytes.length;
    const d = await this.workers.persist({ kind: 'persist', file: path.join(this.dir, file), bytes });
    this.manifest.shards.push({ file, rows, rowGroups: d.rowGroupBytes.length, bytes: size, ...d });
    this.manifest.rows += rows;
    this.manifest.complete = false;
    await writeManifest(this.dir, this.manifest);
  }
}

/**
 * A Node object-mode Writable of RecordBatches into a shard directory. When the directory
 * already holds shards, the first `resumedRows` incoming rows are dropped (`skipResumed`, on by
 * default): rerunning the same deterministic producer continues where a killed run stopped.
 */
export function shardSink(
  dir: string,
  config: Partial<ShardWriterConfig> & { schema: Schema; skipResumed?: boolean; onOpen?: (w: ShardWriter) => void },
): Writable {
  let writer: Promise<ShardWriter> | undefined;
  let toSkip = 0;
  const get = (): Promise<ShardWriter> =>
    (writer ??= ShardWriter.open(dir, config).then((w) => {
      toSkip = config.skipResumed === false ? 0 : w.resumedRows;
      config.onOpen?.(w);
      return w;
    }));
  return new Writable({
    objectMode: true,
    write(batch: RecordBatch, _enc, done) {
      get()
        .then(async (w) => {
          const skip = Math.min(toSkip, batch.numRows);
          toSkip -= skip;
          if (skip < batch.numRows) await w.write(skip === 0 ? batch : batch.slice(skip));
        })
        .then(() => done(), done);
    },
    final(done) {
      get()
        .then((w) => w.close())
        .then(() => done(), done);
    },
  });
}
