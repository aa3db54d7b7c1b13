import { mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { sha256 } from './atomic-fs';
import { activationColumns, readManifest, readShards, ShardWriter } from '../index';
import { collect, syntheticBatch, testSchema } from '../../test/support/synthetic';

const schema = testSchema(8);

/** A directory of 3 shards × 4 row groups × 250 rows. */
async function fixture(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'saestream-bad-'));
  const w = await ShardWriter.open(dir, { schema, rowsPerShard: 1000, rowGroupRows: 250 });
  await w.write(syntheticBatch(schema, 0, 3000));
  await w.close();
  return dir;
}

const shard = (dir: string, i: number) => path.join(dir, `part-0000${i}.parquet`);

/** Overwrites `bytes` at `offset` of a file in place. */
async function scribble(file: string, offset: number, bytes: Uint8Array): Promise<void> {
  const h = await open(file, 'r+');
  await h.write(bytes, 0, bytes.length, offset);
  await h.close();
}


describe('reading damaged shard directories', () => {
  it('a truncated shard: CORRUPT_SHARD naming the file, before any row is read', async () => {
    const dir = await fixture();
    const m = (await readManifest(dir))!;
    await truncate(shard(dir, 1), m.shards[1].bytes - 100);
    await expect(collect(readShards(dir))).rejects.toMatchObject({ code: 'CORRUPT_SHARD', file: shard(dir, 1) });
    await expect(collect(readShards(dir))).rejects.toThrow(/expected \d+ bytes as the manifest says but found \d+/);
  });

  it('a manifest naming a missing shard: MISSING_SHARD', async () => {
    const dir = await fixture();
    await rm(shard(dir, 2));
    await expect(collect(readShards(dir))).rejects.toMatchObject({ code: 'MISSING_SHARD', file: shard(dir, 2) });
  });

  it('a garbled row group: CHECKSUM_MISMATCH naming the file and the row group, after the good row groups', async () => {
    const dir = await fixture();
    const m = (await readManifest(dir))!;
    const file = shard(dir, 1);
    const [g0, g1] = m.shards[1].rowGroupBytes;
    await scribble(file, g0 + g1 + 100, new Uint8Array(64).fill(0xff)); // inside row group 2
    const good: number[] = [];
    const read = (async () => {
      for await (const b of readShards(dir)) good.push(b.numRows);
    })();
    await expect(read).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH', file, rowGroup: 2 });
    expect(good).toEqual([250, 250, 250, 250, 250, 250]);
  });

  it('a garbled footer: CHECKSUM_MISMATCH before the file is opened', async () => {
    const dir = await fixture();
    const m = (await readManifest(dir))!;
    const file = shard(dir, 0);
    await scribble(file, m.shards[0].bytes - 20, Uint8Array.from([1, 2, 3]));
    await expect(collect(readShards(dir))).rejects.toThrow(/footer bytes have sha256 [0-9a-f]+ but the manifest says/);
  });

  it('a changed byte, caught by the whole-file sha256 that external tools can check too', async () => {
    const dir = await fixture();
    const m = (await readManifest(dir))!;
    const file = shard(dir, 2);
    await scribble(file, 5000, Uint8Array.from([0x42, 0x42]));
    expect(sha256(await readFile(file))).not.toBe(m.shards[2].sha256);
    await expect(collect(readShards(dir))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH', file });
  });

  it('a file that is not Parquet at all: CORRUPT_SHARD', async () => {
    const dir = await fixture();
    const m = (await readManifest(dir))!;
    await writeFile(shard(dir, 0), new Uint8Array(m.shards[0].bytes)); // right size, all zeros
    await expect(collect(readShards(dir, { verify: false }))).rejects.toMatchObject({ code: 'CORRUPT_SHARD', file: shard(dir, 0) });
  });

  it('a directory without a manifest, and a manifest that is not JSON: BAD_MANIFEST', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'saestream-empty-'));
    await expect(collect(readShards(dir))).rejects.toMatchObject({ code: 'BAD_MANIFEST' });
    await writeFile(path.join(dir, 'manifest.json'), '{"format": ');
    await expect(collect(readShards(dir))).rejects.toMatchObject({ code: 'BAD_MANIFEST' });
  });

  it('the wrong width for the caller: SCHEMA_MISMATCH naming the file and row group', async () => {
    const dir = await fixture();
    await expect(collect(readShards(dir, { expect: { dModel: 768 } }))).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH', file: shard(dir, 0), rowGroup: 0 });
  });
});

describe('non-finite activations', () => {
  const withNaN = () => {
    const b = syntheticBatch(schema, 0, 1000);
    activationColumns(b).act[8 * 620 + 3] = NaN; // row 620: shard 0, row group 2
    return b;
  };

  it('are found on read when asked, naming the file and row group', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'saestream-nan-'));
    const w = await ShardWriter.open(dir, { schema, rowsPerShard: 1000, rowGroupRows: 250 });
    await w.write(withNaN());
    await w.close();
    expect((await collect(readShards(dir))).length).toBe(4);
    await expect(collect(readShards(dir, { checkFinite: true }))).rejects.toMatchObject({ code: 'NON_FINITE', file: shard(dir, 0), rowGroup: 2 });
  });

  it('are refused by a checking writer, which keeps what it had already written', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'saestream-nan-'));
    const w = await ShardWriter.open(dir, { schema, rowsPerShard: 1000, rowGroupRows: 250, checkFinite: true });
    await w.write(syntheticBatch(schema, 0, 1000));
    await w.durable();
    const before = await readFile(path.join(dir, 'manifest.json'), 'utf8');
    await expect(w.write(withNaN())).rejects.toMatchObject({ code: 'NON_FINITE' });
    expect(await readFile(path.join(dir, 'manifest.json'), 'utf8')).toBe(before);
    expect((await collect(readShards(dir))).reduce((n, b) => n + b.numRows, 0)).toBe(1000);
  });
});
