/**
 * A seeded shuffle buffer over a stream of fixed-width batches (OpenAI's and SAELens's
 * activation stores do the same): the first `bufferRows` rows fill the buffer; then each
 * incoming row takes the place of a uniformly drawn buffered row, which is emitted; at the end
 * the buffer is emitted in a seeded random order. Output batches hold `batchRows` rows (the
 * last one the remainder). Same input order and seed → same output order.
 */
import { RecordBatch } from 'apache-arrow';
import { IoError } from './errors';
import { randInt, seededRng } from './rng';
import { isFixedWidth, RowBuffer } from './row-buffer';

export interface ShuffleConfig {
  /** Seed of the generator; the same seed gives the same order. */
  seed: number;
  /** Rows held for mixing: more mixes across shards better, at 4·d_model bytes a row. */
  bufferRows: number;
  /** Rows per emitted batch. */
  batchRows: number;
}

export const defaultShuffleConfig: ShuffleConfig = { seed: 0, bufferRows: 65536, batchRows: 4096 };

export function validateShuffleConfig(config: Partial<ShuffleConfig>): ShuffleConfig {
  const c = { ...defaultShuffleConfig, ...config };
  for (const key of ['bufferRows', 'batchRows'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new IoError('BAD_ARGUMENT', `shuffle '${key}' must be a positive integer but got ${c[key]}`);
  }
  if (!Number.isInteger(c.seed)) throw new IoError('BAD_ARGUMENT', `shuffle 'seed' must be an integer but got ${c.seed}`);
  return c;
}

/** Shuffles the rows of `source` through a buffer of `bufferRows` rows. */
export async function* shuffleRows(source: AsyncIterable<RecordBatch>, config: Partial<ShuffleConfig>): AsyncGenerator<RecordBatch> {
  const { seed, bufferRows, batchRows } = validateShuffleConfig(config);
  const rng = seededRng(seed);
  let pool: RowBuffer | undefined;
  let out: RowBuffer | undefined;
  for await (const batch of source) {
    if (!pool) {
      if (!isFixedWidth(batch.schema)) throw new IoError('BAD_ARGUMENT', `shuffle needs fixed-width columns; List columns cannot be shuffled row by row`);
      pool = new RowBuffer(batch.schema, bufferRows);
      out = new RowBuffer(batch.schema, batchRows);
    }
    let row = 0;
    // Fill the pool first.
    const fill = Math.min(batch.numRows, pool.capacity - pool.length);
    if (fill > 0) pool.append(batch, 0, fill);
    row = fill;
    // Then each incoming row replaces a random pooled row, which goes out.
    for (; row < batch.numRows; row++) {
      const slot = randInt(rng, pool.length);
      out!.pushFrom(pool, slot);
      pool.put(slot, batch, row);
      if (out!.length === batchRows) {
        yield out!.toBatch();
        out = new RowBuffer(batch.schema, batchRows);
      }
    }
  }
  if (!pool || !out) return;
  // Drain: a seeded Fisher–Yates over what is left.
  for (let i = pool.length - 1; i >= 0; i--) {
    pool.swap(i, randInt(rng, i + 1));
    out.pushFrom(pool, i);
    if (out.length === batchRows) {
      yield out.toBatch();
      out = new RowBuffer(pool.schema, batchRows);
    }
  }
  if (out.length > 0) yield out.toBatch();
}
