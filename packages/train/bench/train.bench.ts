/**
 * Training throughput at OpenAI's GPT-2 small scale on random data:
 *
 *   d = 768, n = 16384, k = 32, k_aux = 512, batch 4096 tokens        (BENCH_BATCH, BENCH_LATENTS, BENCH_STEPS override)
 *
 * measured in one process, on the same backend:
 *   limit     the encoder's dense product alone, [batch, d] · [d, n] on tfjs, read back — the
 *             one dense matmul every TopK trainer must do; its tokens/s bounds any trainer
 *   sparse    this package's trainer: SparseTrainer steps (TopK, AuxK, sparse backward, Adam)
 *   dense     the same loss written densely in tfjs and differentiated by tfjs autodiff, with
 *             tfjs's Adam (what a straightforward tfjs implementation does). Every product in it
 *             is [rows, ·], so its cost is linear in the batch: it is timed on BENCH_DENSE_BATCH
 *             rows (default 512; a step of 4096 takes ~15 minutes here) and reported per token.
 *             Its backward multiplies transposed operands, which tfjs-wasm runs 10–40x slower
 *             than a plain product; the "dense floor" line is what the same 9 dense products
 *             would cost at the plain-product rate, computed from the limit, for comparison.
 *
 * AuxK: the dead threshold is one batch, so every latent that did not fire in a step is dead.
 * On random data few latents miss a whole batch, so AuxK selections are mostly empty (the
 * typical case in training). "sparse, AuxK full" is the worst case for the sparse backward:
 * latent biases +10 on even latents and +5 on odd ones (pre-activations are ~N(0, 1) plus the
 * bias), so the top-k always comes from the even half, the odd half is dead after two steps,
 * and each row's 512 AuxK latents are all positive: 544 latents per row instead of 32.
 *
 *   npm run bench -w @saestream/train
 */
import * as tf from '@tensorflow/tfjs';
import { defaultAdamConfig, denseLoss, denseVariables, describeBackend, disposeDenseVariables, initBackend, initSae, mseScaleOf, Sae, SparseTrainer } from '@saestream/sae-core';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const B = env('BENCH_BATCH', 4096);
const D = 768;
const N = env('BENCH_LATENTS', 16384);
const K = 32;
const K_AUX = 512;
const STEPS = env('BENCH_STEPS', 3);
const DENSE_STEPS = env('BENCH_DENSE_STEPS', 2);
const DENSE_B = env('BENCH_DENSE_BATCH', Math.min(512, B));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function randomRows(rows: number, seed: number): Float32Array {
  let s = seed;
  const x = new Float32Array(rows * D);
  for (let i = 0; i < x.length; i++) {
    s = (s * 16807) % 2147483647;
    const u = s / 2147483647;
    s = (s * 16807) % 2147483647;
    x[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * s) / 2147483647);
  }
  return x;
}

function timeIt(label: string, runs: number, fn: () => void): number[] {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
    console.log(`  ${label} run ${i + 1}/${runs}: ${fmt(ms[i])} ms`);
  }
  return ms;
}

/**
 * Median ms of STEPS SparseTrainer steps after `warmup` untimed ones (AuxK needs two before the
 * dead threshold of one batch is passed), and the live AuxK latents per row of the last step.
 */
function timeSparse(label: string, sae: Sae, x: Float32Array, mseScale: number, warmup: number): { ms: number; auxPerRow: number } {
  const trainer = new SparseTrainer(sae, { maxRows: B, kAux: K_AUX, deadTokens: B, mseScale });
  try {
    for (let i = 0; i < warmup; i++) {
      const m = trainer.trainStep(x, 1e-4, B);
      console.log(`  ${label} warm-up ${i + 1}: dead latents ${m.dead}, L0 ${m.l0}`);
    }
    let auxPerRow = 0;
    const ms = median(
      timeIt(label, STEPS, () => {
        const m = trainer.trainStep(x, 1e-4, B);
        auxPerRow = m.detail.aux ? m.detail.aux.values.reduce((s, v) => s + (v > 0 ? 1 : 0), 0) / B : 0;
      }),
    );
    return { ms, auxPerRow };
  } finally {
    trainer.dispose();
  }
}

async function main(): Promise<void> {
  console.log(describeBackend(await initBackend()));
  console.log(`d=${D} n=${N} k=${K} k_aux=${K_AUX} batch=${B}; ${STEPS} timed sparse steps after 1 warm-up; ${DENSE_STEPS} dense steps of ${DENSE_B} rows (the first a warm-up when > 1)`);
  const x = randomRows(B, 1);
  const sampleRows = Math.min(B, 1024);
  const sae = initSae({ dIn: D, nLatents: N, k: K, activation: 'topk', normalize: false }, x.subarray(0, sampleRows * D), sampleRows, 0);
  const mseScale = mseScaleOf(x, B, D);

  // limit: the encoder product alone
  const encT = tf.tidy(() => tf.transpose(tf.tensor2d(sae.params.encoder, [N, D])));
  const limitMs = median(
    timeIt('encoder matmul', 3, () => {
      const y = tf.tidy(() => tf.matMul(tf.tensor2d(x, [B, D]), encT));
      y.dataSync();
      y.dispose();
    }),
  );
  encT.dispose();
  const flop = 2 * B * D * N;

  // sparse: this trainer, as trained and with AuxK forced full
  const typical = timeSparse('sparse step', sae, x, mseScale, 1);
  const shifted = { ...sae, params: { ...sae.params, latentBias: sae.params.latentBias.map((b, j) => b + (j % 2 ? 5 : 10)) } };
  const full = timeSparse('sparse step, AuxK full', shifted, x, mseScale, 2);
  const [sparseMs, auxEntries, fullMs, fullAux] = [typical.ms, typical.auxPerRow, full.ms, full.auxPerRow];

  // dense: tfjs autodiff of the same loss, tfjs Adam
  const v = denseVariables(sae.params, D, N);
  const opt = tf.train.adam(1e-4, defaultAdamConfig.betas[0], defaultAdamConfig.betas[1], defaultAdamConfig.eps);
  const dead = Int32Array.from({ length: N / 2 }, (_, i) => 2 * i); // half the latents dead: k_aux selections all real
  const xDense = x.subarray(0, DENSE_B * D);
  const denseTimes = DENSE_STEPS === 0 ? [NaN] : timeIt(`dense step (${DENSE_B} rows)`, DENSE_STEPS, () => {
    const loss = opt.minimize(() => denseLoss(v, { x: xDense, rows: DENSE_B, d: D, n: N, k: K, kAux: K_AUX, auxkCoef: 1 / 32, mseScale, dead }), true, [v.preBias, v.latentBias, v.encoderT, v.decoder]);
    loss?.dataSync();
    loss?.dispose();
  });
  const denseMs = median(DENSE_STEPS > 1 ? denseTimes.slice(1) : denseTimes);
  disposeDenseVariables(v);
  opt.dispose();

  const tps = (ms: number, rows = B): number => rows / (ms / 1000);
  const denseFloorMs = 9 * limitMs; // forward: enc, dec, aux dec; backward: 2 per decode, 2 for the encoder
  console.log('');
  console.log(`encoder matmul (limit)  ${fmt(limitMs).padStart(9)} ms  ${fmt(flop / limitMs / 1e6, 1).padStart(6)} GFLOP/s  ${fmt(tps(limitMs)).padStart(7)} tokens/s`);
  console.log(`sparse trainer          ${fmt(sparseMs).padStart(9)} ms  ${' '.repeat(14)}  ${fmt(tps(sparseMs)).padStart(7)} tokens/s  (${fmt((100 * limitMs) / sparseMs)}% of the limit; ${fmt(auxEntries)} AuxK latents per row)`);
  console.log(`sparse, AuxK full       ${fmt(fullMs).padStart(9)} ms  ${' '.repeat(14)}  ${fmt(tps(fullMs)).padStart(7)} tokens/s  (${fmt(fullAux)} AuxK latents per row)`);
  console.log(`dense autodiff baseline ${fmt(denseMs).padStart(9)} ms  ${' '.repeat(14)}  ${fmt(tps(denseMs, DENSE_B)).padStart(7)} tokens/s  (measured on ${DENSE_B} rows)`);
  console.log(`dense floor (computed)  ${fmt(denseFloorMs).padStart(9)} ms  ${' '.repeat(14)}  ${fmt(tps(denseFloorMs)).padStart(7)} tokens/s  (9 dense products at the limit's rate)`);
  for (const [label, ms] of [['sparse', sparseMs], ['sparse, AuxK full', fullMs]] as const) {
    console.log(`${label} / dense autodiff: ${fmt(tps(ms) / tps(denseMs, DENSE_B), 1)}x;  ${label} / dense floor: ${fmt(tps(ms) / tps(denseFloorMs), 1)}x`);
  }
}

void main();
