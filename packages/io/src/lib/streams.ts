/**
 * Stream helpers over async iterables of record batches. Each takes any `AsyncIterable`
 * (a generator, a Node Readable in object mode) and returns an async generator; wrap with
 * `Readable.from` at a stage's edge.
 */
import { PassThrough, Readable } from 'node:stream';
import { RecordBatch } from 'apache-arrow';
import { IoError } from './errors';
import { RowBuffer } from './row-buffer';

function positive(name: string, n: number, allowZero = false): void {
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new IoError('BAD_ARGUMENT', `'${name}' must be a ${allowZero ? 'non-negative' : 'positive'} integer but got ${n}`);
  }
}

/** The first `n` rows of a stream; the batch that crosses `n` is sliced, and the source is not read further. */
export async function* take(source: AsyncIterable<RecordBatch>, n: number): AsyncGenerator<RecordBatch> {
  positive('n', n, true);
  let left = n;
  if (left === 0) return;
  for await (const batch of source) {
    if (batch.numRows >= left) {
      yield batch.numRows === left ? batch : batch.slice(0, left);
      return;
    }
    left -= batch.numRows;
    yield batch;
  }
}

/**
 * Batches of exactly `rows` rows, and the remainder at the end (OpenAI train.py's
 * `batch_tensors`). Slices of an incoming batch pass through without a copy when no rows are
 * pending; rows that straddle batches are copied into a fresh buffer.
 */
export async function* rebatch(source: AsyncIterable<RecordBatch>, rows: number): AsyncGenerator<RecordBatch> {
  positive('rows', rows);
  let pending: RowBuffer | undefined;
  for await (const batch of source) {
    let from = 0;
    while (from < batch.numRows) {
      if (!pending && batch.numRows - from >= rows) {
        yield batch.slice(from, from + rows);
        from += rows;
        continue;
      }
      pending ??= new RowBuffer(batch.schema, rows);
      const to = Math.min(batch.numRows, from + rows - pending.length);
      pending.append(batch, from, to);
      from = to;
      if (pending.length === rows) {
        yield pending.toBatch();
        pending = undefined;
      }
    }
  }
  if (pending && pending.length > 0) yield pending.toBatch();
}

/**
 * Splits one stream into `count` Readables that each see every batch. Back-pressure holds:
 * the source is paused while any branch is full, so branches move together.
 */
export function tee(source: Readable | AsyncIterable<RecordBatch>, count = 2): Readable[] {
  positive('count', count);
  const input = source instanceof Readable ? source : Readable.from(source, { objectMode: true });
  const branches = Array.from({ length: count }, () => new PassThrough({ objectMode: true, highWaterMark: 2 }));
  for (const b of branches) input.pipe(b);
  input.on('error', (e) => branches.forEach((b) => b.destroy(e)));
  return branches;
}

/** Counts seen by {@link withProgress}. */
export interface Progress {
  rows: number;
  batches: number;
  elapsedMs: number;
  rowsPerSecond: number;
}

/** Passes batches through and reports progress after each (`onProgress` may print; io never does). */
export async function* withProgress(source: AsyncIterable<RecordBatch>, onProgress: (p: Progress) => void): AsyncGenerator<RecordBatch> {
  const start = performance.now();
  let rows = 0;
  let batches = 0;
  for await (const batch of source) {
    rows += batch.numRows;
    batches += 1;
    const elapsedMs = performance.now() - start;
    onProgress({ rows, batches, elapsedMs, rowsPerSecond: elapsedMs > 0 ? (rows * 1000) / elapsedMs : 0 });
    yield batch;
  }
}
