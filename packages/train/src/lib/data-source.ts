/**
 * Where training rows come from: an activations shard directory (or an extraction run holding
 * `activations/<hook>/`), read through io's seeded shuffle buffer, cut into exact batches.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { RecordBatch } from 'apache-arrow';
import { activationColumns, Manifest, readManifest, readShards } from '@saestream/io';
import { SaeMeta } from '@saestream/sae-core';
import { TrainError } from './errors';

/** A replayable row source: the same call gives the same rows in the same order. */
export interface TrainData {
  /** Opens the stream from its start. */
  open(): AsyncIterable<RecordBatch>;
  dModel: number;
  /** Rows in the source, when known. */
  rows: number | null;
  /** Model and hook the activations came from, for the autoencoder's cfg. */
  meta: SaeMeta;
  /** What identifies the data (compared on --resume; not its location). */
  identity: Record<string, unknown>;
  /** Where it was read from, for the record (a shard directory), if anywhere. */
  location?: string;
}

/** Finds the shard directory: DIR itself, or DIR/activations/<hook> (the only hook, or `hook`). */
export async function resolveActivationsDir(dir: string, hook?: string): Promise<{ dir: string; manifest: Manifest }> {
  const hooksDir = path.join(dir, 'activations');
  const hooks = await readdir(hooksDir).catch(() => undefined);
  if (!hooks) {
    // not an extraction run: a shard directory itself
    const own = await readManifest(dir);
    if (!own) throw new TrainError('NO_DATA', `${dir} has neither an activations/ directory nor a shard manifest.json; pass an extraction run or an activations shard directory`);
    if (own.schema !== 'activations/1') throw new TrainError('NO_DATA', `${dir} holds '${own.schema}' shards; training needs 'activations/1' shards (an extraction run's activations/<hook>/)`);
    return { dir, manifest: own };
  }
  const chosen = hook ?? (hooks.length === 1 ? hooks[0] : undefined);
  if (!chosen || !hooks.includes(chosen)) {
    throw new TrainError('BAD_ARGUMENT', `${hook ? `hook '${hook}' is not in ${hooksDir}` : `${dir} holds several hooks`}; choose one of [${hooks.sort().join(', ')}]`);
  }
  const manifest = await readManifest(path.join(hooksDir, chosen));
  if (!manifest) throw new TrainError('NO_DATA', `${path.join(hooksDir, chosen)} has no manifest.json (extraction not finished?)`);
  return { dir: path.join(hooksDir, chosen), manifest };
}

/** Activations shards, shuffled with a seeded buffer (the same seed gives the same order). */
export async function shardData(dir: string, options: { hook?: string; seed: number; bufferRows: number; batch: number }): Promise<TrainData> {
  const resolved = await resolveActivationsDir(dir, options.hook);
  const m = resolved.manifest.metadata;
  const dModel = Number(m.d_model);
  if (!Number.isInteger(dModel) || dModel < 1) throw new TrainError('NO_DATA', `${resolved.dir}/manifest.json has no valid d_model in its metadata`);
  return {
    open: () => readShards(resolved.dir, { expect: { name: 'activations/1', dModel }, shuffle: { seed: options.seed, bufferRows: options.bufferRows, batchRows: options.batch } }),
    dModel,
    rows: resolved.manifest.rows,
    meta: { modelName: m.model, hookName: m.hook, contextSize: m.context_size ? Number(m.context_size) : undefined, prependBos: m.prepend_bos ? m.prepend_bos === 'true' : undefined, datasetPath: m.corpus },
    location: path.resolve(resolved.dir),
    identity: { rows: resolved.manifest.rows, shards: resolved.manifest.shards.map((s) => s.sha256), model: m.model, hook: m.hook, dModel },
  };
}

/**
 * Reads rows from a batch stream in exact counts: `take(n)` returns the next n rows (fewer only
 * at the end of the data), `skip(n)` discards n. Checks each batch's width against `dModel`.
 */
export class RowReader {
  private readonly it: AsyncIterator<RecordBatch>;
  private current: Float32Array = new Float32Array(0);
  private at = 0; // rows of `current` already consumed
  private done = false;

  constructor(
    source: AsyncIterable<RecordBatch>,
    readonly dModel: number,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    while (!this.done && this.at * this.dModel >= this.current.length) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      const cols = activationColumns(r.value);
      if (cols.dModel !== this.dModel) throw new TrainError('SHAPE_MISMATCH', `a batch has d_model ${cols.dModel} but the run expects ${this.dModel}`);
      this.current = cols.act;
      this.at = 0;
    }
    return this.at * this.dModel < this.current.length;
  }

  /** The next `rows` rows `[≤ rows, dModel]` (empty at the end). */
  async take(rows: number): Promise<Float32Array> {
    const d = this.dModel;
    const out = new Float32Array(rows * d);
    let filled = 0;
    while (filled < rows && (await this.fill())) {
      const n = Math.min(rows - filled, this.current.length / d - this.at);
      out.set(this.current.subarray(this.at * d, (this.at + n) * d), filled * d);
      this.at += n;
      filled += n;
    }
    return filled === rows ? out : out.subarray(0, filled * d);
  }

  async skip(rows: number): Promise<void> {
    let left = rows;
    while (left > 0 && (await this.fill())) {
      const n = Math.min(left, this.current.length / this.dModel - this.at);
      this.at += n;
      left -= n;
    }
  }

  /** Stops the underlying stream (its finally blocks run). */
  async close(): Promise<void> {
    await this.it.return?.();
  }
}
