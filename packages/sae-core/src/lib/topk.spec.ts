import { topKRows } from './topk';

/** The definition, by sorting: value descending, lower index first on ties. */
function bySort(row: number[], k: number, candidates?: number[]): { indices: number[]; values: number[] } {
  const cols = candidates ?? row.map((_, j) => j);
  const sorted = cols.map((j) => [row[j], j]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k);
  while (sorted.length < k) sorted.push([-Infinity, -1]);
  return { indices: sorted.map((s) => s[1]), values: sorted.map((s) => s[0]) };
}

describe('topKRows', () => {
  it.each([
    ['distinct values', [3, 1, 4, 1.5, 9, 2.6, 5], 3, undefined],
    ['ties keep the lower index', [2, 7, 7, 1, 7, 0], 2, undefined],
    ['negative values', [-5, -1, -3, -2], 2, undefined],
    ['k = n − 1', [0.5, 0.25, 0.75, 1], 3, undefined],
    ['candidates only', [9, 1, 8, 2, 7], 2, [1, 3, 4]],
    ['fewer candidates than k pad with −1', [9, 1, 8], 3, [1]],
  ])('%s', (_, row, k, candidates) => {
    const got = topKRows(Float32Array.from(row), 1, row.length, k, candidates && Int32Array.from(candidates));
    const want = bySort(row, k, candidates);
    expect(Array.from(got.indices)).toEqual(want.indices);
    expect(Array.from(got.values)).toEqual(want.values.map(Math.fround));
  });

  it('agrees with sorting on random rows, row by row', () => {
    let seed = 1;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const rows = 20;
    const n = 300;
    const k = 17;
    const x = Float32Array.from({ length: rows * n }, () => Math.round(rand() * 50) / 10); // many ties
    const got = topKRows(x, rows, n, k);
    for (let r = 0; r < rows; r++) {
      const want = bySort(Array.from(x.subarray(r * n, (r + 1) * n)), k);
      expect(Array.from(got.indices.subarray(r * k, (r + 1) * k))).toEqual(want.indices);
    }
  });
});
