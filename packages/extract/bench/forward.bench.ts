/**
 * GPT-2 forward throughput: a GPT-2-small-shaped model with seeded random weights, graph up to
 * `blocks.6.hook_resid_post` (blocks 0..6), BATCH × SEQ tokens per pass, THREADS intra-op
 * threads; beside it, in the same process and settings, the limit: a MatMul-only ONNX graph of
 * about the same FLOPs, the blocks' MLP GEMMs [B·S, d] × [d, 4d] × [4d, d] chained (a single
 * [B·S, d] × [d, N] GEMM of those FLOPs is a lower bar here: its 0.5 GB output runs it at about a
 * third of the chain's rate). Both run once to warm up, then REPEATS rounds, interleaved.
 *
 *   npm run bench -w @saestream/extract     (BATCH=32 SEQ=64 THREADS=2 REPEATS=5 by default)
 */
import * as ort from 'onnxruntime-node';
import type { Tensor } from '@saestream/io';
import { buildGpt2Graph, defaultGpt2Config, Gpt2Runner } from '../src/lib/graph';
import { encodeModel, OnnxTensor } from '../src/lib/graph/onnx-proto';

const BATCH = Number(process.env.BATCH ?? 32);
const SEQ = Number(process.env.SEQ ?? 64);
const THREADS = Number(process.env.THREADS ?? 2);
const REPEATS = Number(process.env.REPEATS ?? 5);
const HOOK = 'blocks.6.hook_resid_post';
const LAYERS = 7; // blocks 0..6
const config = defaultGpt2Config; // 12 heads, d 768, vocab 50257, n_positions 1024
const d = config.nEmbd;
const T = BATCH * SEQ;

/** mulberry32: a seeded uniform [0, 1) generator. */
function seededRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rng = seededRng(1234);
/** Uniform values with GPT-2's init std (0.02) around `mean`. */
function random(shape: number[], mean = 0, std = 0.02): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const half = std * Math.sqrt(3);
  for (let i = 0; i < data.length; i++) data[i] = mean + (2 * rng() - 1) * half;
  return { dtype: 'F32', shape, data };
}

function randomGpt2(): Map<string, Tensor> {
  const w = new Map<string, Tensor>([
    ['wte.weight', random([config.vocabSize, d])],
    ['wpe.weight', random([config.nPositions, d], 0, 0.01)],
  ]);
  for (let l = 0; l < LAYERS; l++) {
    const shapes: [string, number[], number?][] = [
      ['ln_1.weight', [d], 1], ['ln_1.bias', [d]], ['attn.c_attn.weight', [d, 3 * d]], ['attn.c_attn.bias', [3 * d]],
      ['attn.c_proj.weight', [d, d]], ['attn.c_proj.bias', [d]], ['ln_2.weight', [d], 1], ['ln_2.bias', [d]],
      ['mlp.c_fc.weight', [d, 4 * d]], ['mlp.c_fc.bias', [4 * d]], ['mlp.c_proj.weight', [4 * d, d]], ['mlp.c_proj.bias', [d]],
    ];
    for (const [name, shape, mean] of shapes) w.set(`h.${l}.${name}`, random(shape, mean ?? 0));
  }
  return w;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Wall times (ms) of each of `runs` over REPEATS rounds after one warm-up round, interleaved
 * round by round so that every contender sees the same machine (CI VMs here vary by 2× from
 * second to second).
 */
async function timeInterleaved(runs: (() => Promise<unknown>)[]): Promise<number[][]> {
  const ms = runs.map((): number[] => []);
  for (let round = -1; round < REPEATS; round++) {
    for (const [i, run] of runs.entries()) {
      const t0 = performance.now();
      await run();
      if (round >= 0) ms[i].push(performance.now() - t0);
    }
  }
  return ms;
}

/** A session on a MatMul-only graph: x [T, d] through `weights` in turn. */
async function matmulSession(weights: Tensor[]): Promise<ort.InferenceSession> {
  const initializers: OnnxTensor[] = weights.map((t, i) => ({ name: `w${i}`, type: 'float32', dims: t.shape, data: t.data as Float32Array }));
  const nodes = initializers.map((w, i) => ({ name: `mm${i}`, opType: 'MatMul', inputs: [i ? `y${i - 1}` : 'x', w.name], outputs: [`y${i}`] }));
  const bytes = encodeModel({
    graph: {
      name: 'matmul-only',
      nodes,
      initializers,
      inputs: [{ name: 'x', type: 'float32', dims: [T, d] }],
      outputs: [{ name: `y${weights.length - 1}`, type: 'float32', dims: [T, weights.at(-1)!.shape[1]] }],
    },
  });
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: THREADS, graphOptimizationLevel: 'all' });
}

async function main(): Promise<void> {
  const dh = d / config.nHead;
  const matmulFlops = 2 * T * (d * 3 * d + d * d + d * 4 * d + 4 * d * d);
  const attnFlops = 2 * 2 * BATCH * config.nHead * SEQ * SEQ * dh;
  const flops = LAYERS * (matmulFlops + attnFlops);
  const pairs = Math.round(flops / (2 * (2 * T * d * 4 * d)));
  const limitFlops = pairs * 2 * (2 * T * d * 4 * d);
  console.log(`GPT-2 small shape (d ${d}, ${config.nHead} heads, vocab ${config.vocabSize}, n_positions ${config.nPositions}), random weights (seed 1234)`);
  console.log(`forward → ${HOOK} (blocks 0..${LAYERS - 1}), batch ${BATCH} × ${SEQ} tokens, ${THREADS} intra-op threads`);
  console.log(`FLOPs = layers · (2·T·(d·3d + d·d + d·4d + 4d·d) + 2·2·B·H·S²·dh), T = B·S = ${T}`);
  console.log(`      = ${LAYERS} · (${(matmulFlops / 1e9).toFixed(3)} + ${(attnFlops / 1e9).toFixed(3)}) GFLOP = ${(flops / 1e9).toFixed(2)} GFLOP per pass`);
  const chain = `x[${T},${d}] → (×[${d},${4 * d}] → ×[${4 * d},${d}]) × ${pairs}`;
  console.log(`limit: MatMul-only graph ${chain} = ${(limitFlops / 1e9).toFixed(2)} GFLOP (the blocks' MLP GEMM shapes, nothing else)`);

  let t0 = performance.now();
  const weights = randomGpt2();
  const tGen = performance.now() - t0;
  t0 = performance.now();
  const graphBytes = buildGpt2Graph({ config, weights }, [HOOK]).byteLength; // what create() embeds, against the 2 GiB limit
  const tBuild = performance.now() - t0;
  t0 = performance.now();
  const runner = await Gpt2Runner.create({ config, weights }, [HOOK], { intraOpThreads: THREADS });
  const tCreate = performance.now() - t0;
  weights.clear();
  const limit = await matmulSession(Array.from({ length: pairs }, () => [random([d, 4 * d]), random([4 * d, d])]).flat());
  const mib = (graphBytes / 2 ** 20).toFixed(0);
  console.log(`setup: random weights ${(tGen / 1e3).toFixed(1)} s; graph ${mib} MiB (protobuf limit 2048) in ${(tBuild / 1e3).toFixed(1)} s; Gpt2Runner.create ${(tCreate / 1e3).toFixed(1)} s`);

  const ids = new Int32Array(T);
  for (let i = 0; i < T; i++) ids[i] = Math.floor(rng() * config.vocabSize);
  const x = new ort.Tensor('float32', random([T, d], 0, 1).data as Float32Array, [T, d]);
  const [fwdMs, limitMs] = await timeInterleaved([() => runner.run(ids, BATCH, SEQ), () => limit.run({ x })]);
  await runner.release();
  await limit.release();

  const rows = [
    { name: 'forward', ms: fwdMs, flops },
    { name: 'limit (MatMul only)', ms: limitMs, flops: limitFlops },
  ].map((r) => ({ ...r, median: median(r.ms), best: Math.min(...r.ms) }));
  const rate = (f: number, ms: number) => f / ms / 1e6; // GFLOP/s
  console.log(`${REPEATS} interleaved rounds after 1 warm-up, ms per pass:`);
  for (const r of rows) console.log(`  ${r.name.padEnd(20)} ${r.ms.map((m) => m.toFixed(0).padStart(5)).join(' ')}`);
  for (const r of rows) {
    const median = `median ${r.median.toFixed(0).padStart(5)} ms ${rate(r.flops, r.median).toFixed(1).padStart(6)} GFLOP/s`;
    console.log(`${r.name.padEnd(20)} ${median}   best ${r.best.toFixed(0).padStart(5)} ms ${rate(r.flops, r.best).toFixed(1).padStart(6)} GFLOP/s`);
  }
  const [fwd, lim] = rows;
  const percent = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
  const ofLimit = percent(rate(flops, fwd.median), rate(limitFlops, lim.median));
  const bestOfLimit = percent(rate(flops, fwd.best), rate(limitFlops, lim.best));
  console.log(`forward: ${((T / fwd.median) * 1e3).toFixed(0)} tokens/s (median), ${rate(flops, fwd.median).toFixed(1)} GFLOP/s`);
  console.log(`forward / limit: ${ofLimit} (medians), ${bestOfLimit} (best runs); target ≥ 50%`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
