import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RecordBatch } from 'apache-arrow';
import { activationColumns, contextColumns, contextsBatch, contextsSchema, readManifest, readShards, shardSink, shardSource, ShardWriter } from '../index';
import { collect, syntheticBatch, syntheticStream, testSchema } from '../../test/support/synthetic';

const tmp = () => mkdtemp(path.join(tmpdir(), 'saestream-shards-'));
const D = 16;
const schema = testSchema(D);

/** Every row's (ctx, pos, token, act bits) as one string, for bit-exact comparison. */
function rowKeys(batches: RecordBatch[]): string[] {
  const keys: string[] = [];
  for (const b of batches) {
    const c = activationColumns(b);
    const bits = new Uint32Array(c.act.buffer, c.act.byteOffset, c.act.length);
    for (let r = 0; r < c.rows; r++) keys.push(`${c.ctx[r]}:${c.pos[r]}:${c.token[r]}:${bits.subarray(r * D, r * D + D).join(',')}`);
  }
  return keys;
}

async function writeDir(dir: string, rows: number, sizes: number[]) {
  await pipeline(Readable.from(syntheticStream(schema, rows, sizes)), shardSink(dir, { schema, rowsPerShard: 3000, rowGroupRows: 700 }));
}

describe('shard round trip', () => {
  const ROWS = 10_000;
  let dir: string;
  beforeAll(async () => {
    dir = await tmp();
    await writeDir(dir, ROWS, [999, 1, 2500, 64]);
  });

  it('rolls shards at the row limit and lists them in the manifest', async () => {
    const m = (await readManifest(dir))!;
    expect(m).toMatchObject({ format: 'saestream.shards/1', schema: 'activations/1', rows: ROWS, complete: true });
    expect(m.shards.map((s) => [s.file, s.rows, s.rowGroups])).toEqual([
      ['part-00000.parquet', 3000, 5],
      ['part-00001.parquet', 3000, 5],
      ['part-00002.parquet', 3000, 5],
      ['part-00003.parquet', 1000, 2],
    ]);
    expect(m.metadata).toEqual(Object.fromEntries(schema.metadata));
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', ...m.shards.map((s) => s.file)]);
  });

  it('reads back bit-identical rows, one batch per row group, with the schema metadata', async () => {
    const batches = await collect(readShards(dir, { expect: { name: 'activations/1', dModel: D } }));
    expect(batches.map((b) => b.numRows).slice(0, 5)).toEqual([700, 700, 700, 700, 200]);
    expect(batches[0].schema.metadata).toEqual(schema.metadata);
    expect(String(batches[0].schema.fields[3].type)).toBe(`FixedSizeList[${D}]<Float32>`);
    expect(rowKeys(batches)).toEqual(rowKeys([syntheticBatch(schema, 0, ROWS)]));
  });

  it('shuffles into the same multiset, reproducibly by seed', async () => {
    const shuffled = (seed: number) => collect(readShards(dir, { shuffle: { seed, bufferRows: 2048, batchRows: 512 } }));
    const [a, b, c] = await Promise.all([shuffled(1), shuffled(1), shuffled(2)]);
    expect(a.map((x) => x.numRows)).toEqual([...Array(19).fill(512), ROWS - 19 * 512]);
    const ka = rowKeys(a);
    expect(ka).toEqual(rowKeys(b));
    expect(ka).not.toEqual(rowKeys(c));
    const original = rowKeys([syntheticBatch(schema, 0, ROWS)]);
    expect(ka).not.toEqual(original);
    expect([...ka].sort()).toEqual([...original].sort());
    // Mixed across shards: the first output batch draws from more than one shard (rows 3000 apart).
    const firstCtx = activationColumns(a[0]).ctx;
    const shardsSeen = new Set(Array.from(firstCtx, (ctx) => Math.floor((ctx * 64) / 3000)));
    expect(shardsSeen.size).toBeGreaterThan(1);
  });

  it('is a Node Readable too', async () => {
    let rows = 0;
    for await (const b of shardSource(dir)) rows += (b as RecordBatch).numRows;
    expect(rows).toBe(ROWS);
  });

  it('writes identical files for identical input', async () => {
    const other = await tmp();
    await writeDir(other, ROWS, [4096]);
    const [m1, m2] = [await readManifest(dir), await readManifest(other)];
    expect(m2!.shards.map((s) => s.sha256)).toEqual(m1!.shards.map((s) => s.sha256));
  });
});

describe('resuming a shard directory', () => {
  it('continues after the complete shards of an earlier writer', async () => {
    const dir = await tmp();
    const first = await ShardWriter.open(dir, { schema, rowsPerShard: 1000, rowGroupRows: 250 });
    await first.write(syntheticBatch(schema, 0, 2500)); // two complete shards, 500 rows buffered and lost
    expect(await first.durable()).toBe(2000);
    const second = await ShardWriter.open(dir, { schema, rowsPerShard: 1000, rowGroupRows: 250 });
    expect(second.resumedRows).toBe(2000);
    await second.write(syntheticBatch(schema, 2000, 1700));
    const m = await second.close();
    expect(m.shards.map((s) => s.rows)).toEqual([1000, 1000, 1000, 700]);
    expect(rowKeys(await collect(readShards(dir)))).toEqual(rowKeys([syntheticBatch(schema, 0, 3700)]));
  });

  it('refuses to mix in batches of another schema or metadata, and leaves the directory as it was', async () => {
    const dir = await tmp();
    await writeDir(dir, 3000, [3000]);
    const before = await readFile(path.join(dir, 'manifest.json'), 'utf8');
    await expect(ShardWriter.open(dir, { schema: testSchema(D + 1) })).rejects.toMatchObject({ code: 'BAD_MANIFEST' });
    const w = await ShardWriter.open(dir, { schema });
    await expect(w.write(syntheticBatch(testSchema(D + 1), 0, 10))).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
    expect(await readFile(path.join(dir, 'manifest.json'), 'utf8')).toBe(before);
  });
});

describe('contexts/1 shards', () => {
  it('round-trips variable-length token windows across shard boundaries', async () => {
    const dir = await tmp();
    const cschema = contextsSchema({ corpus: 'synthetic' });
    const windows = Array.from({ length: 50 }, (_, i) => Int32Array.from({ length: 1 + (i % 7) }, (_, j) => i * 100 + j));
    const batch = contextsBatch(cschema, {
      ctx: Uint32Array.from(windows, (_, i) => i),
      doc: Uint32Array.from(windows, (_, i) => i >> 3),
      offset: Uint32Array.from(windows, (_, i) => i * 64),
      tokens: Int32Array.from(windows.flatMap((w) => Array.from(w))),
      tokenOffsets: Int32Array.from([0, ...windows.map((w) => w.length)].map((_, i, a) => a.slice(0, i + 1).reduce((x, y) => x + y, 0))),
    });
    await pipeline(Readable.from([batch.slice(0, 13), batch.slice(13)]), shardSink(dir, { schema: cschema, rowsPerShard: 20, rowGroupRows: 8 }));
    const back = await collect(readShards(dir, { expect: { name: 'contexts/1' } }));
    const got: number[][] = [];
    for (const b of back) {
      const c = contextColumns(b);
      for (let r = 0; r < c.rows; r++) got.push(Array.from(c.tokens.subarray(c.tokenOffsets[r], c.tokenOffsets[r + 1])));
    }
    expect(got).toEqual(windows.map((w) => Array.from(w)));
  });
});
