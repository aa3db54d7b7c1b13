import { Readable } from 'node:stream';
import { RecordBatch } from 'apache-arrow';
import { activationColumns, IoError, rebatch, take, tee, withProgress } from '../index';
import { collect, syntheticBatch, syntheticStream, testSchema } from '../../test/support/synthetic';

const schema = testSchema(4);
const tokens = (batches: RecordBatch[]) => batches.flatMap((b) => Array.from(activationColumns(b).token));
const acts = (batches: RecordBatch[]) => batches.flatMap((b) => Array.from(activationColumns(b).act));
const expected = (rows: number) => syntheticBatch(schema, 0, rows);

describe('rebatch', () => {
  it.each([
    [[7], 10, 95],
    [[3, 50, 1], 16, 200],
    [[64], 64, 640],
    [[100], 7, 100],
  ])('batches of %j into %i rows, %i in all: exact sizes, remainder last, rows unchanged', async (sizes, rows, total) => {
    const out = await collect(rebatch(syntheticStream(schema, total, sizes), rows));
    const full = Math.floor(total / rows);
    expect(out.map((b) => b.numRows)).toEqual([...Array(full).fill(rows), ...(total % rows ? [total % rows] : [])]);
    expect(tokens(out)).toEqual(tokens([expected(total)]));
    expect(acts(out)).toEqual(acts([expected(total)]));
  });

  it('rejects a non-positive size', async () => {
    await expect(collect(rebatch(syntheticStream(schema, 10), 0))).rejects.toBeInstanceOf(IoError);
  });
});

describe('take', () => {
  it('stops after n rows without reading further', async () => {
    let pulled = 0;
    async function* counted() {
      for await (const b of syntheticStream(schema, 1000, [100])) {
        pulled++;
        yield b;
      }
    }
    const out = await collect(take(counted(), 250));
    expect(out.map((b) => b.numRows)).toEqual([100, 100, 50]);
    expect(pulled).toBe(3);
    expect(tokens(out)).toEqual(tokens([expected(250)]));
    expect(await collect(take(syntheticStream(schema, 10), 0))).toEqual([]);
  });
});

describe('tee', () => {
  it('gives every branch every batch', async () => {
    const [a, b] = tee(Readable.from(syntheticStream(schema, 500, [64])), 2);
    const [ra, rb] = await Promise.all([collect(a), collect(b)]);
    expect(tokens(ra)).toEqual(tokens([expected(500)]));
    expect(tokens(rb)).toEqual(tokens([expected(500)]));
  });
});

describe('withProgress', () => {
  it('reports cumulative rows and batches', async () => {
    const seen: number[] = [];
    await collect(withProgress(syntheticStream(schema, 250, [100]), (p) => seen.push(p.rows)));
    expect(seen).toEqual([100, 200, 250]);
  });
});
