import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ShardWriter } from '../index';
import { syntheticBatch, testSchema } from '../../test/support/synthetic';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const D = 768;
const SHARD_ROWS = 2048;
const schema = testSchema(D);

async function shardDir(shards: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'saestream-mem-'));
  const w = await ShardWriter.open(dir, { schema, rowsPerShard: SHARD_ROWS, rowGroupRows: 512 });
  const batch = syntheticBatch(schema, 0, SHARD_ROWS); // same rows in every shard: memory is what is measured
  for (let i = 0; i < shards; i++) await w.write(batch);
  await w.close();
  return dir;
}

function peakRss(dir: string): { rows: number; maxRssMB: number } {
  const out = execFileSync(process.execPath, ['-r', path.join(ROOT, 'tools', 'ts-register.js'), path.join(ROOT, 'packages/io/test/support/read-all.ts'), dir], { encoding: 'utf8' });
  return JSON.parse(out) as { rows: number; maxRssMB: number };
}

describe('reader memory', () => {
  it('does not grow with the number of shards', async () => {
    const few = peakRss(await shardDir(4)); // 25 MB of rows
    const many = peakRss(await shardDir(40)); // 250 MB of rows
    expect([few.rows, many.rows]).toEqual([4 * SHARD_ROWS, 40 * SHARD_ROWS]);
    // Ten times the data (225 MB more): the peak moves by what the JS heap lets itself grow
    // (~50 MB seen here), far from what holding the extra rows would take.
    expect(many.maxRssMB - few.maxRssMB).toBeLessThan(100);
  });
});
