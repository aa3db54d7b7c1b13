/**
 * Interpret's throughput beside encoding alone, in one process on the same batches:
 *
 *   encode     SaeModel.encodeSparse over every batch (the encoder product + top-k)
 *   interpret  interpretPass: the same encoding plus per-latent statistics, top-context heaps,
 *              histograms and reservoirs, over all latents
 *
 * d 768, n 16384, k 32 (BENCH_LATENTS, BENCH_TOKENS override), random N(0, 1) activations in
 * 64-token contexts, 2048-row batches as the shard reader yields them. Median of 3 runs each.
 *
 *   npm run bench -w @saestream/interpret
 */
import { RecordBatch } from 'apache-arrow';
import { activationsBatch, activationsSchema } from '@saestream/io';
import { describeBackend, initBackend, initSae, SaeModel } from '@saestream/sae-core';
import { validateInterpretConfig } from '../src/lib/config';
import { interpretPass } from '../src/lib/interpret-pass';

const D = 768;
const N = Number(process.env.BENCH_LATENTS ?? 16384);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 16384);
const BATCH = 2048;
const CTX = 63; // rows per 64-token context (BOS has no row)

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function batches(): RecordBatch[] {
  const schema = activationsSchema({ model: 'bench', hook: 'bench', dModel: D, contextSize: 64, prependBos: true, corpus: 'bench' });
  let s = 7;
  const out: RecordBatch[] = [];
  for (let start = 0; start < TOKENS; start += BATCH) {
    const rows = Math.min(BATCH, TOKENS - start);
    const act = new Float32Array(rows * D);
    for (let i = 0; i < act.length; i++) {
      s = (s * 16807) % 2147483647;
      act[i] = (s / 2147483647 - 0.5) * 3.4;
    }
    const ctx = Uint32Array.from({ length: rows }, (_, i) => Math.floor((start + i) / CTX));
    const pos = Uint16Array.from({ length: rows }, (_, i) => ((start + i) % CTX) + 1);
    out.push(activationsBatch(schema, { ctx, pos, token: new Int32Array(rows), act }));
  }
  return out;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  console.log(describeBackend(await initBackend()));
  const data = batches();
  const sample = (data[0].getChild('act')?.data[0].children[0].values as Float32Array).subarray(0, 1024 * D);
  const sae = initSae({ dIn: D, nLatents: N, k: 32, activation: 'topk', normalize: false }, sample, 1024, 0);
  const model = new SaeModel(sae);
  const all = Int32Array.from({ length: N }, (_, i) => i);
  const config = validateInterpretConfig({});
  async function* source(): AsyncGenerator<RecordBatch> {
    yield* data;
  }
  const encodeMs: number[] = [];
  const interpretMs: number[] = [];
  for (let run = 0; run < 3; run++) {
    encodeMs.push(
      await time(async () => {
        for (const b of data) model.encodeSparse(b.getChild('act')?.data[0].children[0].values as Float32Array, b.numRows);
      }),
    );
    interpretMs.push(await time(() => interpretPass(model, source(), all, config)));
    console.log(`  run ${run + 1}: encode ${Math.round(encodeMs[run])} ms, interpret ${Math.round(interpretMs[run])} ms`);
  }
  model.dispose();
  const tps = (ms: number): string => Math.round(TOKENS / (ms / 1000)).toLocaleString('en-US');
  console.log(`d=${D} n=${N} k=32, ${TOKENS.toLocaleString('en-US')} tokens, all latents`);
  console.log(`encode alone  ${Math.round(median(encodeMs)).toLocaleString('en-US').padStart(8)} ms  ${tps(median(encodeMs)).padStart(7)} tokens/s`);
  console.log(`interpret     ${Math.round(median(interpretMs)).toLocaleString('en-US').padStart(8)} ms  ${tps(median(interpretMs)).padStart(7)} tokens/s  (${((100 * median(encodeMs)) / median(interpretMs)).toFixed(0)}% of encode-alone's rate)`);
}

void main();
