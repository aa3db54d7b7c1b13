/**
 * Deterministic activation batches for tests and benchmarks: row r (counted from the start of
 * the stream) has ctx = r / 64, pos = r % 64, token = (r * 7919) % 50257, and act values drawn
 * from a generator seeded by r, so any slice of the stream can be regenerated on its own.
 */
import { RecordBatch, Schema } from 'apache-arrow';
import { activationsBatch, activationsSchema } from '../../src';
import { seededRng } from '../../src/lib/rng';

export const testSchema = (dModel: number): Schema =>
  activationsSchema({ model: 'synthetic', hook: 'blocks.0.hook_resid_post', dModel, contextSize: 64, prependBos: true, corpus: 'synthetic' });

/** Rows [start, start + rows) of the synthetic stream as one batch. */
export function syntheticBatch(schema: Schema, start: number, rows: number): RecordBatch {
  const dModel = Number(schema.metadata.get('d_model'));
  const ctx = new Uint32Array(rows);
  const pos = new Uint16Array(rows);
  const token = new Int32Array(rows);
  const act = new Float32Array(rows * dModel);
  for (let i = 0; i < rows; i++) {
    const r = start + i;
    ctx[i] = Math.floor(r / 64);
    pos[i] = r % 64;
    token[i] = (r * 7919) % 50257;
    const rng = seededRng(r + 1);
    for (let j = 0; j < dModel; j++) act[i * dModel + j] = (rng() - 0.5) * 8;
  }
  return activationsBatch(schema, { ctx, pos, token, act });
}

/** The synthetic stream as batches of varying sizes (`sizes` cycled) totalling `rows`. */
export async function* syntheticStream(schema: Schema, rows: number, sizes: number[] = [1000], start = 0): AsyncGenerator<RecordBatch> {
  for (let r = start, i = 0; r < rows; i++) {
    const n = Math.min(sizes[i % sizes.length], rows - r);
    yield syntheticBatch(schema, r, n);
    r += n;
  }
}

/** Collects a stream's batches. */
export async function collect(source: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of source) out.push(b);
  return out;
}
