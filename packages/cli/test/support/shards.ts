/**
 * Real shard directories for the CLI's tests, written by io's ShardWriter in a fresh temporary
 * directory, with the rows they hold computed independently so tests can compare exactly.
 */
import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { contextsBatch, contextsSchema, ShardWriter } from '@saestream/io';
import { syntheticBatch, testSchema } from '../../../io/test/support/synthetic';
import { main } from '../../src/main';
import type { ActivationRow, ContextRow } from '../../src/lib/rows';

export const D_MODEL = 8;

/** Shard layout of the activations directory: 3 shards of 1000 rows, 4 row groups of 250 each. */
export const ACTIVATIONS = { rows: 3000, rowsPerShard: 1000, rowGroupRows: 250 };

export const tempDir = (prefix: string): Promise<string> => mkdtemp(path.join(tmpdir(), `saestream-cli-${prefix}-`));

/** io's synthetic activation stream (see its doc comment), rows [0, ACTIVATIONS.rows). */
export async function activationsDir(): Promise<string> {
  const dir = await tempDir('act');
  const schema = testSchema(D_MODEL);
  const w = await ShardWriter.open(dir, { schema, rowsPerShard: ACTIVATIONS.rowsPerShard, rowGroupRows: ACTIVATIONS.rowGroupRows });
  await w.write(syntheticBatch(schema, 0, ACTIVATIONS.rows));
  await w.close();
  return dir;
}

/** Rows [start, start + n) of the activations directory, regenerated from the synthetic stream. */
export function expectedActivations(start: number, n: number): ActivationRow[] {
  const b = syntheticBatch(testSchema(D_MODEL), start, n);
  const [ctx, pos, token, act] = ['ctx', 'pos', 'token', 'act'].map((c) => b.getChild(c)!);
  return Array.from({ length: n }, (_, i) => ({
    ctx: ctx.get(i) as number,
    pos: pos.get(i) as number,
    token: token.get(i) as number,
    act: Array.from(act.get(i) as Iterable<number>),
  }));
}

/** 10 context windows of 3 to 6 tokens: window i is doc i/3 at offset 64·(i%3), tokens 1000·i + j. */
export function expectedContexts(): ContextRow[] {
  return Array.from({ length: 10 }, (_, i) => ({
    ctx: i,
    doc: Math.floor(i / 3),
    offset: 64 * (i % 3),
    tokens: Array.from({ length: 3 + (i % 4) }, (_, j) => 1000 * i + j),
  }));
}

/** The windows of {@link expectedContexts}, in shards of 4 rows and row groups of 2. */
export async function contextsDir(): Promise<string> {
  const dir = await tempDir('ctx');
  const rows = expectedContexts();
  const schema = contextsSchema({ model: 'synthetic', corpus: 'synthetic' });
  const tokenOffsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (tokenOffsets[i + 1] = tokenOffsets[i] + r.tokens.length));
  const batch = contextsBatch(schema, {
    ctx: Uint32Array.from(rows.map((r) => r.ctx)),
    doc: Uint32Array.from(rows.map((r) => r.doc)),
    offset: Uint32Array.from(rows.map((r) => r.offset)),
    tokens: Int32Array.from(rows.flatMap((r) => r.tokens)),
    tokenOffsets,
  });
  const w = await ShardWriter.open(dir, { schema, rowsPerShard: 4, rowGroupRows: 2 });
  await w.write(batch);
  await w.close();
  return dir;
}

/** Overwrites bytes at `offset` of a file in place (the size stays, so only digests can tell). */
export async function scribble(file: string, offset: number, bytes: Uint8Array): Promise<void> {
  const h = await open(file, 'r+');
  try {
    await h.write(bytes, 0, bytes.length, offset);
  } finally {
    await h.close();
  }
}

/** Runs a command line in-process with in-memory stdout and stderr. */
export async function runCli(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(argv, { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  return { status, out, err };
}
