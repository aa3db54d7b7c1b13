import { loadTinyGpt2, maxAbsDiff } from '../../../test/support/graph-fixture';
import { Gpt2Activation } from './config';
import { Gpt2Runner, HookOutput } from './runner';

/**
 * Parity against the gpt2-tiny reference (nanoGPT modules with GPT-2's tanh GELU, values as
 * transformer_lens names them). Tolerance: 1e-4 absolute at every hook; two float32
 * implementations agree to about 3e-6 here (reference README), the fixture's logits are ±0.7.
 */
const TOLERANCE = 1e-4;
const fixture = loadTinyGpt2();
const { config, weights, activations, tokens } = fixture;
const model = { config, weights };

describe('parity with the reference, every fixture hook in one pass', () => {
  let out: Map<string, HookOutput>;
  beforeAll(async () => {
    const runner = await Gpt2Runner.create(model, [...activations.keys()], { intraOpThreads: 1 });
    out = await runner.run(tokens);
    await runner.release();
  });

  test.each([...activations.keys()])(`%s within ${TOLERANCE}`, (hook) => {
    const ref = activations.get(hook)!;
    expect(out.get(hook)!.dims).toEqual(ref.shape);
    expect(maxAbsDiff(out.get(hook)!.data, ref.data as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
  });

  test.each([0, 1])('blocks.%d.attn.hook_pattern: masked entries exactly 0, rows sum to 1', (layer) => {
    const { data, dims } = out.get(`blocks.${layer}.attn.hook_pattern`)!;
    const [batch, heads, seq] = dims;
    for (let row = 0; row < batch * heads * seq; row++) {
      const q = row % seq;
      const r = data.subarray(row * seq, (row + 1) * seq);
      expect(Array.from(r.subarray(q + 1))).toEqual(new Array(seq - q - 1).fill(0));
      expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});

test('a pruned graph (two hooks) gives the same values as the full one', async () => {
  const hooks = ['blocks.1.attn.hook_pattern', 'blocks.0.hook_resid_post'];
  const runner = await Gpt2Runner.create(model, hooks);
  const out = await runner.run(tokens);
  await runner.release();
  for (const h of hooks) expect(maxAbsDiff(out.get(h)!.data, activations.get(h)!.data as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
});

test('flat Int32Array tokens with batch and seq equal rows', async () => {
  const runner = await Gpt2Runner.create(model, ['blocks.1.hook_resid_post']);
  const rows = await runner.run(tokens);
  const flat = await runner.run(Int32Array.from(tokens.flat()), 3, 16);
  await runner.release();
  expect(flat).toEqual(rows);
});

/** LayerNorm without affine, in float64: (x − mean) / √(var + ε), biased variance. */
function normalize(x: Float32Array, width: number, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    const row = x.subarray(r * width, (r + 1) * width);
    const mean = row.reduce((a, b) => a + b, 0) / width;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / width;
    row.forEach((v, i) => (out[r * width + i] = (v - mean) / Math.sqrt(variance + eps)));
  }
  return out;
}

test('ln_final.hook_normalized is the final LayerNorm before its weight and bias (as transformer_lens), logits unchanged', async () => {
  const runner = await Gpt2Runner.create(model, ['ln_final.hook_normalized', 'logits']);
  const out = await runner.run(tokens);
  await runner.release();
  const expected = normalize(activations.get('blocks.1.hook_resid_post')!.data as Float32Array, config.nEmbd, config.layerNormEpsilon);
  expect(maxAbsDiff(out.get('ln_final.hook_normalized')!.data, expected)).toBeLessThanOrEqual(TOLERANCE);
  expect(maxAbsDiff(out.get('logits')!.data, activations.get('logits')!.data as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
});

/** erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return Math.sign(x) * y;
}
const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

describe('activation_function', () => {
  // [activation, reference f(x) in float64]
  test.each<[Gpt2Activation, (x: number) => number]>([
    ['gelu_new', tanhGelu],
    ['gelu_pytorch_tanh', tanhGelu],
    ['gelu_fast', tanhGelu],
    ['gelu', (x) => 0.5 * x * (1 + erf(x / Math.SQRT2))],
    ['relu', (x) => Math.max(0, x)],
    ['silu', (x) => x / (1 + Math.exp(-x))],
  ])('%s: mlp.hook_post = f(mlp.hook_pre) within 1e-5', async (activationFunction, f) => {
    const runner = await Gpt2Runner.create({ config: { ...config, activationFunction }, weights }, ['blocks.0.mlp.hook_pre', 'blocks.0.mlp.hook_post']);
    const out = await runner.run(tokens);
    await runner.release();
    expect(maxAbsDiff(out.get('blocks.0.mlp.hook_post')!.data, Array.from(out.get('blocks.0.mlp.hook_pre')!.data, f))).toBeLessThanOrEqual(1e-5);
  });

  test("'gelu' (exact erf) is not the reference's tanh form: their hook_post differ by more than the tolerance", async () => {
    const runner = await Gpt2Runner.create({ config: { ...config, activationFunction: 'gelu' }, weights }, ['blocks.0.mlp.hook_post']);
    const out = await runner.run(tokens);
    await runner.release();
    expect(maxAbsDiff(out.get('blocks.0.mlp.hook_post')!.data, activations.get('blocks.0.mlp.hook_post')!.data as Float32Array)).toBeGreaterThan(2 * TOLERANCE);
  });
});

describe('input checks', () => {
  let runner: Gpt2Runner;
  beforeAll(async () => (runner = await Gpt2Runner.create(model, ['blocks.0.hook_resid_post'])));
  afterAll(() => runner.release());

  const row = (n: number, id = 0) => new Array<number>(n).fill(id);
  // [case, code, tokens, batch, seq, message]
  test.each<[string, string, Int32Array | number[][], number | undefined, number | undefined, RegExp]>([
    ['token id 512 = vocab', 'BAD_TOKENS', [row(16), [...row(15), 512]], undefined, undefined, /token id 512 at \[1, 15\] is outside the vocabulary \[0, 512\)/],
    ['token id -1', 'BAD_TOKENS', Int32Array.of(3, -1), 1, 2, /token id -1 at \[0, 1\]/],
    ['token id 1.5', 'BAD_TOKENS', [[1.5]], undefined, undefined, /token id 1.5/],
    ['seq 129 > n_positions 128', 'BAD_TOKENS', [row(129)], undefined, undefined, /129 tokens are longer than the model's n_positions \(128\)/],
    ['ragged rows', 'BAD_ARGUMENT', [row(4), row(3)], undefined, undefined, /rows must all have 4 ids but row 1 has 3/],
    ['no rows', 'BAD_ARGUMENT', [], undefined, undefined, /at least 1 × 1 but got 0 × 0/],
    ['flat without batch and seq', 'BAD_ARGUMENT', Int32Array.of(1, 2), undefined, undefined, /'batch' and 'seq' are required/],
    ['flat of the wrong length', 'BAD_ARGUMENT', Int32Array.of(1, 2, 3), 2, 2, /batch × seq = 2 × 2 = 4 ids but has 3/],
  ])('%s → %s', async (_case, code, tokens, batch, seq, message) => {
    await expect(runner.run(tokens, batch, seq)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });

  test('seq = n_positions (128) runs', async () => {
    const out = await runner.run([row(128, 7)]);
    expect(out.get('blocks.0.hook_resid_post')!.dims).toEqual([1, 128, 64]);
  });
});

test.each<[string, () => Promise<unknown>, string]>([
  ['an unknown hook', () => Gpt2Runner.create(model, ['blocks.5.hook_resid_post']), 'UNKNOWN_HOOK'],
  ['intraOpThreads 0', () => Gpt2Runner.create(model, ['logits'], { intraOpThreads: 0 }), 'BAD_ARGUMENT'],
])('create with %s → %s', async (_case, create, code) => {
  await expect(create()).rejects.toMatchObject({ code });
});
