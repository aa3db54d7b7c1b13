/**
 * Shard throughput: write then read ROWS rows × 768 floats (plus ctx/pos/token) through
 * ShardWriter and readShards, beside a raw `fs` write and read of the same bytes as the limit.
 * Each phase runs in a child process of its own so that its peak RSS is its own; each is
 * repeated REPEATS times and the median is printed.
 *
 *   npm run bench -w @saestream/io            (ROWS=200000 REPEATS=3 by default)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { activationsBatch, activationsSchema, readShards, ShardWriter } from '../src';
import { seededRng } from '../src/lib/rng';

const ROWS = Number(process.env.ROWS ?? 200_000);
const REPEATS = Number(process.env.REPEATS ?? 3);
const D = 768;
const BATCH = 4096;
const BYTES_PER_ROW = 4 * D + 4 + 2 + 4;
const schema = activationsSchema({ model: 'bench', hook: 'blocks.6.hook_resid_post', dModel: D, contextSize: 64, prependBos: true, corpus: 'bench' });

/** One batch of random activations, reused with fresh ctx/pos/token columns for every write. */
function batchMaker() {
  const rng = seededRng(1);
  const act = Float32Array.from({ length: BATCH * D }, () => (rng() - 0.5) * 8);
  return (start: number, rows: number) =>
    activationsBatch(schema, {
      ctx: Uint32Array.from({ length: rows }, (_, i) => (start + i) >> 6),
      pos: Uint16Array.from({ length: rows }, (_, i) => (start + i) & 63),
      token: Int32Array.from({ length: rows }, (_, i) => (start + i) % 50257),
      act: act.subarray(0, rows * D),
    });
}

type Phase = 'write' | 'read' | 'raw-write' | 'raw-read';

async function runPhase(phase: Phase, dir: string): Promise<number> {
  const make = batchMaker();
  const t0 = performance.now();
  if (phase === 'write') {
    const w = await ShardWriter.open(dir, { schema });
    for (let r = 0; r < ROWS; r += BATCH) await w.write(make(r, Math.min(BATCH, ROWS - r)));
    await w.close();
  } else if (phase === 'read') {
    let rows = 0;
    for await (const b of readShards(dir)) rows += b.numRows;
    if (rows !== ROWS) throw new Error(`read ${rows} rows, expected ${ROWS}`);
  } else {
    const file = path.join(dir, 'raw.bin');
    const h = await open(file, phase === 'raw-write' ? 'w' : 'r');
    const chunk = new Uint8Array(BATCH * BYTES_PER_ROW);
    const act = new Uint8Array(make(0, BATCH).data.children[3].children[0].values.buffer);
    chunk.set(act.subarray(0, chunk.length));
    for (let r = 0; r < ROWS; r += BATCH) {
      const n = Math.min(BATCH, ROWS - r) * BYTES_PER_ROW;
      if (phase === 'raw-write') await h.write(chunk, 0, n);
      else await h.read(chunk, 0, n);
    }
    if (phase === 'raw-write') await h.sync();
    await h.close();
  }
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  const [phase, dir] = process.argv.slice(2) as [Phase | undefined, string | undefined];
  if (phase && dir) {
    runPhase(phase, dir).then((ms) => process.stdout.write(JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024 })));
    return;
  }
  const mb = (ROWS * BYTES_PER_ROW) / 1e6;
  console.log(`shards bench: ${ROWS} rows × ${D} floats (${mb.toFixed(0)} MB of row data), median of ${REPEATS}`);
  const results: Record<Phase, { mbps: number[]; rss: number[] }> = {
    write: { mbps: [], rss: [] },
    read: { mbps: [], rss: [] },
    'raw-write': { mbps: [], rss: [] },
    'raw-read': { mbps: [], rss: [] },
  };
  for (let i = 0; i < REPEATS; i++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'saestream-bench-'));
    for (const p of ['raw-write', 'raw-read', 'write', 'read'] as Phase[]) {
      const out = execFileSync(process.execPath, ['-r', path.join(__dirname, '../../../tools/ts-register.js'), __filename, p, dir], { encoding: 'utf8' });
      const { ms, maxRssMB } = JSON.parse(out) as { ms: number; maxRssMB: number };
      results[p].mbps.push(mb / (ms / 1000));
      results[p].rss.push(maxRssMB);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (label: string, p: Phase) => `${label.padEnd(28)} ${median(results[p].mbps).toFixed(1).padStart(8)} MB/s   peak RSS ${median(results[p].rss).toFixed(0).padStart(5)} MB   runs: ${results[p].mbps.map((x) => x.toFixed(0)).join(' ')}`;
  console.log(row('ShardWriter (Parquet)', 'write'));
  console.log(row('readShards (verify on)', 'read'));
  console.log(row('raw fs write + fsync (limit)', 'raw-write'));
  console.log(row('raw fs read (limit)', 'raw-read'));
  console.log(`ratios: write ${(median(results.write.mbps) / median(results['raw-write'].mbps)).toFixed(2)} of raw, read ${(median(results.read.mbps) / median(results['raw-read'].mbps)).toFixed(2)} of raw`);
}

main();
