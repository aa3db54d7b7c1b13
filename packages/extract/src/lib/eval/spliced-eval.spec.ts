import * as path from 'node:path';
import { readSafetensors } from '@saestream/io';
import { initBackend, initSae, loadSae } from '@saestream/sae-core';
import { loadTinyGpt2 } from '../../../test/support/graph-fixture';
import { Window } from '../corpus';
import { Splice, SplicedEval, SplicedEvalReport } from './spliced-eval';

/**
 * On the gpt2-tiny reference (nanoGPT; 3 contexts × 16 tokens, the first starting with BOS 511)
 * at blocks.1.hook_resid_post. The model's logits match the reference's within 1e-4, so losses
 * computed from them agree with the reference's to about that.
 */
const HOOK = 'blocks.1.hook_resid_post';
const fixture = loadTinyGpt2();
const model = { config: fixture.config, weights: fixture.weights };
const V = fixture.config.vocabSize;
const D = fixture.config.nEmbd;
const windows: Window[] = fixture.tokens.map((t, ctx) => ({ ctx, doc: ctx, offset: 0, tokens: Int32Array.from(t) }));
const refLogits = fixture.activations.get('logits')!.data as Float32Array; // [3,16,V]

/** Mean CE over predictions at positions [from, to] (all windows), from the reference logits, by the textbook formula. */
function referenceLoss(from: number, to: number): number {
  let sum = 0;
  let n = 0;
  windows.forEach((w, b) => {
    for (let p = from; p <= Math.min(to, w.tokens.length - 2); p++) {
      const row = refLogits.subarray((b * 16 + p) * V, (b * 16 + p + 1) * V);
      sum += Math.log(row.reduce((s, z) => s + Math.exp(z), 0)) - row[w.tokens[p + 1]];
      n++;
    }
  });
  return sum / n;
}

const identity: Splice = (x) => ({ recons: x.slice() });
const constant = (value: (i: number) => number): Splice => (x) => ({ recons: Float32Array.from(x, (_, i) => value(i % D)) });

describe.each([
  [false, 0, [[0, 7], [8, 15]]],
  [true, 1, [[1, 7], [8, 15]]],
])('prependBos %p: first evaluated position %d', (prependBos, first, buckets) => {
  let ev: SplicedEval;
  let id: SplicedEvalReport;
  beforeAll(async () => {
    ev = await SplicedEval.create(model, windows, { hook: HOOK, prependBos, batchContexts: 2, intraOpThreads: 1 });
    id = await ev.evaluateSplice(identity, null);
  });
  afterAll(() => ev.release());

  test('the clean loss is the cross-entropy of the reference logits, in total and per bucket (within 2e-4)', () => {
    expect(id.total.predictions).toBe(3 * (15 - first));
    expect(id.total.positions).toBe(3 * (16 - first));
    expect(Math.abs(id.total.cleanLoss - referenceLoss(first, 15))).toBeLessThan(2e-4);
    expect(id.buckets.map((b) => [b.from, b.to])).toEqual(buckets);
    for (const b of id.buckets) expect(Math.abs(b.cleanLoss - referenceLoss(b.from, b.to))).toBeLessThan(2e-4);
  });

  test('splicing the clean activation back: Δ loss 0, KL 0, explained variance 1, all the CE recovered', () => {
    for (const m of [id.total, ...id.buckets]) {
      expect(Math.abs(m.deltaLoss)).toBeLessThan(1e-7);
      expect(m.kl).toBeLessThan(1e-7);
      expect(m.explainedVariance).toBeCloseTo(1, 6);
      expect(m.ceRecoveredZero).toBeCloseTo(1, 5);
      expect(m.ceRecoveredMean).toBeCloseTo(1, 5);
      expect(m.l0).toBeNaN(); // no latents
    }
  });

  test('splicing zeros is the zero-ablation loss; splicing the mean activation is the mean-ablation loss', async () => {
    const zero = await ev.evaluateSplice(constant(() => 0), null);
    const mean = await ev.evaluateSplice(constant((i) => ev.mean[i]), null);
    for (const [r, ablated, recovered] of [[zero, 'zeroAblationLoss', 'ceRecoveredZero'], [mean, 'meanAblationLoss', 'ceRecoveredMean']] as const) {
      expect(Math.abs(r.total.splicedLoss - r.total[ablated])).toBeLessThan(1e-9);
      expect(Math.abs(r.total[recovered])).toBeLessThan(1e-7);
      expect(r.total.kl).toBeGreaterThan(1e-4);
      expect(r.total.cleanLoss).toBe(id.total.cleanLoss);
    }
    expect(mean.total.explainedVariance).toBeCloseTo(0, 6); // x̂ = x̄ over the same positions
    expect(zero.total.explainedVariance).toBeLessThan(0);
  });
});

describe('an SAE', () => {
  beforeAll(() => initBackend('wasm'));

  test("OpenAI's reference autoencoder: explained variance, L0 and dead latents as its own reconstruction of the same activations gives", async () => {
    const saeDir = path.join(__dirname, '../../../../sae-core/test/fixtures');
    const { sae } = await loadSae(path.join(saeDir, 'ae_topk4_norm.pt'));
    const ref = (await readSafetensors(path.join(saeDir, 'reference.safetensors'))).tensors;
    const [x, recons, latents] = ['e2e.input', 'e2e.recons', 'e2e.latents'].map((k) => ref.get(k)!.data as Float32Array); // [48,64], [48,64], [48,256]
    const mean = Array.from({ length: D }, (_, t) => x.filter((_, i) => i % D === t).reduce((a, b) => a + b, 0) / 48);
    const sse = x.reduce((s, v, i) => s + (v - recons[i]) ** 2, 0);
    const sst = x.reduce((s, v, i) => s + (v - mean[i % D]) ** 2, 0);
    const fired = new Set(Array.from(latents.keys()).filter((i) => latents[i] > 0).map((i) => i % 256));

    const ev = await SplicedEval.create(model, windows, { hook: HOOK, prependBos: false });
    const r = await ev.evaluate(sae);
    await ev.release();
    expect(r.nLatents).toBe(256);
    expect(r.total.explainedVariance).toBeCloseTo(1 - sse / sst, 4);
    expect(r.total.l0).toBeCloseTo(latents.filter((v) => v > 0).length / 48, 6);
    expect(r.total.deadFraction).toBeCloseTo((256 - fired.size) / 256, 6);
    expect(r.total.kl).toBeGreaterThan(1e-6); // an untrained model: Δ loss may have either sign, the distributions still move
  });

  test("an SAE whose d_in is not the model's width at the hook is refused, naming both", async () => {
    const ev = await SplicedEval.create(model, windows.slice(0, 1), { hook: HOOK, prependBos: true });
    const sae = initSae({ dIn: 32, nLatents: 64, k: 4, activation: 'topk', normalize: true }, new Float32Array(32), 1, 0, { modelName: 'gpt2', hookName: 'blocks.6.hook_resid_post' });
    await expect(ev.evaluate(sae)).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: "the SAE's d_in is 32 (trained on gpt2 blocks.6.hook_resid_post) but the model is 64 wide at blocks.1.hook_resid_post" });
    await ev.release();
  });
});

test.each<[string, Window[], RegExp]>([
  ['no windows', [], /'windows' must hold at least one context window but is empty/],
  ['a window of BOS and one token', [{ ctx: 4, doc: 0, offset: 0, tokens: Int32Array.of(511, 3) }], /every window must hold 3…2 tokens \(a position to splice and its next token, after BOS\) but ctx 4 has 2/],
])('create refuses %s', async (_case, ws, message) => {
  await expect(SplicedEval.create(model, ws, { hook: HOOK, prependBos: true })).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringMatching(message) });
});
