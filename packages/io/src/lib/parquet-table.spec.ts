import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { readParquetTable, writeParquetTable } from './parquet-table';

it('writes a table as Parquet and reads the same columns back', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'saestream-pt-'));
  const table = tableFromArrays({ id: Int32Array.from([0, 1, 2]), value: Float32Array.from([0.5, 1.5, -2]), name: ['a', 'b', 'c'] });
  await writeParquetTable(path.join(dir, 't.parquet'), table);
  const back = await readParquetTable(path.join(dir, 't.parquet'));
  expect(back.numRows).toBe(3);
  expect(Array.from(back.getChild('id')?.toArray() ?? [])).toEqual([0, 1, 2]);
  expect(Array.from(back.getChild('value')?.toArray() ?? [])).toEqual([0.5, 1.5, -2]);
  expect(back.getChild('name')?.toArray()).toEqual(['a', 'b', 'c']);
});

it('names the file that is not Parquet', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'saestream-pt-'));
  await writeFile(path.join(dir, 'x.parquet'), 'nope');
  await expect(readParquetTable(path.join(dir, 'x.parquet'))).rejects.toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringContaining('x.parquet is not a readable Parquet file') });
});
