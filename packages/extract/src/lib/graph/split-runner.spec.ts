import * as ort from 'onnxruntime-node';
import { loadTinyGpt2, maxAbsDiff } from '../../../test/support/graph-fixture';
import { readModel } from '../../../test/support/graph-onnx-reader';
import { buildGpt2Graph } from './gpt2-graph';
import { SplitGpt2Runner } from './split-runner';

/** As runner.spec.ts: the gpt2-tiny reference (nanoGPT), 1e-4 absolute at every hook. */
const TOLERANCE = 1e-4;
const { config, weights, activations, tokens } = loadTinyGpt2();
const model = { config, weights };
const [B, S] = [tokens.length, tokens[0].length];
const ids = Int32Array.from(tokens.flat());
const ref = (hook: string) => activations.get(hook)!.data as Float32Array;
const RESIDUAL = ['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_mid', 'blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre', 'blocks.1.hook_resid_mid', 'blocks.1.hook_resid_post'];

describe.each(RESIDUAL)('cut at %s', (hook) => {
  let runner: SplitGpt2Runner;
  beforeAll(async () => (runner = await SplitGpt2Runner.create(model, hook, { intraOpThreads: 1 })));
  afterAll(() => runner.release());

  test(`runToHook is the reference's ${hook}, runFromHook(reference ${hook}) its logits, within ${TOLERANCE}`, async () => {
    const x = await runner.runToHook(ids, B, S);
    expect(x.dims).toEqual([B, S, config.nEmbd]);
    expect(maxAbsDiff(x.data, ref(hook))).toBeLessThanOrEqual(TOLERANCE);
    const logits = await runner.runFromHook(ref(hook).slice(), B, S);
    expect(logits.dims).toEqual([B, S, config.vocabSize]);
    expect(maxAbsDiff(logits.data, ref('logits'))).toBeLessThanOrEqual(TOLERANCE);
  });
});

test("output 'log_probs': log softmax of the reference logits over the vocabulary", async () => {
  const runner = await SplitGpt2Runner.create(model, 'blocks.1.hook_resid_mid', { output: 'log_probs' });
  const out = await runner.runFromHook(ref('blocks.1.hook_resid_mid').slice(), B, S);
  await runner.release();
  const V = config.vocabSize;
  const expected = new Float64Array(B * S * V);
  for (let r = 0; r < B * S; r++) {
    const row = ref('logits').subarray(r * V, (r + 1) * V);
    const logZ = Math.log(row.reduce((s, z) => s + Math.exp(z), 0));
    row.forEach((z, v) => (expected[r * V + v] = z - logZ));
  }
  expect(out.dims).toEqual([B, S, V]);
  expect(maxAbsDiff(out.data, expected)).toBeLessThanOrEqual(TOLERANCE);
});

test('a changed residual changes the logits only at and after its position (causal)', async () => {
  const runner = await SplitGpt2Runner.create(model, 'blocks.0.hook_resid_post');
  const x = (await runner.runToHook(ids, B, S)).data;
  const clean = (await runner.runFromHook(x, B, S)).data;
  const changed = x.slice();
  const [b, p, V, D] = [1, 9, config.vocabSize, config.nEmbd];
  for (let i = 0; i < D; i++) changed[(b * S + p) * D + i] += i % 2 ? 1 : -1; // not a constant: LayerNorm would remove that
  const out = (await runner.runFromHook(changed, B, S)).data;
  await runner.release();
  const rowDiff = (bb: number, pp: number) => maxAbsDiff(clean.subarray((bb * S + pp) * V, (bb * S + pp + 1) * V), out.subarray((bb * S + pp) * V, (bb * S + pp + 1) * V));
  for (let q = 0; q < S; q++) {
    expect(rowDiff(0, q)).toBe(0); // another context
    if (q < p) expect(rowDiff(b, q)).toBe(0);
    else expect(rowDiff(b, q)).toBeGreaterThan(1e-3);
  }
});

test('a graph from blocks.0.hook_resid_mid gives later hooks as the reference, and holds nothing before it', async () => {
  const hooks = ['blocks.1.attn.hook_z', 'blocks.0.hook_mlp_out', 'logits'];
  const bytes = buildGpt2Graph(model, hooks, { from: 'blocks.0.hook_resid_mid' });
  const g = readModel(bytes).graph;
  expect(g.inputs).toEqual([{ name: 'blocks.0.hook_resid_mid', elemType: 1, dims: ['batch', 'seq', 64] }]);
  const names = g.nodes.map((n) => n.name);
  expect(names.filter((n) => /^(hook_embed|pos|blocks\.0\.(ln1|attn\.))/.test(n))).toEqual([]);
  expect(g.initializers.map((t) => t.name).filter((n) => /^(wpe|h\.0\.(ln_1|attn))/.test(n))).toEqual([]);
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ 'blocks.0.hook_resid_mid': new ort.Tensor('float32', ref('blocks.0.hook_resid_mid').slice(), [B, S, 64]) });
  await session.release();
  for (const h of hooks) expect(maxAbsDiff(out[h].data as Float32Array, ref(h))).toBeLessThanOrEqual(TOLERANCE);
});

describe('errors', () => {
  // [case, from, hooks, code, message]
  test.each<[string, string, string[], string, RegExp]>([
    ['from a hook that is no residual', 'blocks.0.attn.hook_z', ['logits'], 'UNKNOWN_HOOK', /only from a residual-stream hook \(blocks\.\{0\.\.1\}\.\{hook_resid_pre,hook_resid_mid,hook_resid_post\}\) but got 'blocks\.0\.attn\.hook_z'/],
    ['from a layer the model lacks', 'blocks.2.hook_resid_pre', ['logits'], 'UNKNOWN_HOOK', /layer 2 but this model has 2 layers/],
    ['a hook before the start', 'blocks.1.hook_resid_pre', ['blocks.0.hook_mlp_out', 'logits'], 'BAD_ARGUMENT', /hook 'blocks\.0\.hook_mlp_out' does not come after 'blocks\.1\.hook_resid_pre'/],
    ['the start itself', 'blocks.1.hook_resid_pre', ['blocks.1.hook_resid_pre'], 'BAD_ARGUMENT', /does not come after/],
  ])('%s → %s', (_case, from, hooks, code, message) => {
    expect(() => buildGpt2Graph(model, hooks, { from })).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });

  test('runFromHook refuses a residual of the wrong size, naming the shape', async () => {
    const runner = await SplitGpt2Runner.create(model, 'blocks.1.hook_resid_post');
    await expect(runner.runFromHook(new Float32Array(10), 1, 2)).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringContaining('1 × 2 × 64 floats but has 10') });
    await expect(runner.runFromHook(new Float32Array(129 * 64), 1, 129)).rejects.toMatchObject({ code: 'BAD_TOKENS' });
    await runner.release();
  });

  test('a split at a hook that is no residual is refused before any session opens', async () => {
    await expect(SplitGpt2Runner.create(model, 'blocks.0.mlp.hook_post')).rejects.toMatchObject({ code: 'UNKNOWN_HOOK' });
  });
});
