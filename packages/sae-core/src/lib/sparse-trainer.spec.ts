import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { SparseTrainer, StepDetail, StepMetrics } from './sparse-trainer';
import { mseScaleOf } from './train-loss';
import { fixtureSae, manifest, maxAbsDiff, refF32, refInts, Variant, VARIANTS } from '../../test/support/reference';

/** max |a − b| relative to the reference's largest magnitude */
const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => maxAbsDiff(a, b) / Math.max(...Array.from(b, Math.abs));

beforeAll(async () => {
  await initBackend('wasm');
});

const ROWS = 32;
const D = manifest.n_inputs as number;

function fixtureTrainer(variant: Variant): SparseTrainer {
  const trainer = new SparseTrainer(fixtureSae(variant), {
    maxRows: ROWS,
    kAux: manifest.auxk,
    auxkCoef: manifest.auxk_coef,
    // the reference counts steps of 32 rows; we count tokens
    deadTokens: manifest.dead_steps_threshold * ROWS,
    mseScale: mseScaleOf(refF32(`${variant}.train.x`), ROWS, D),
    adam: { betas: manifest.adam.betas, eps: manifest.adam.eps },
  });
  const before = refInts(`${variant}.train.stats_before`);
  before.forEach((steps, j) => (trainer.stats.since[j] = steps * ROWS));
  return trainer;
}

describe.each(VARIANTS)('SparseTrainer against OpenAI train.py (%s)', (variant) => {
  const expected = manifest.autoencoders[variant].train;
  let trainer: SparseTrainer;
  let metrics: Omit<StepMetrics, 'gradNorm'>;
  let detail: StepDetail;
  beforeAll(() => {
    trainer = fixtureTrainer(variant);
    ({ metrics, detail } = trainer.computeGradients(refF32('X'), ROWS));
  });
  afterAll(() => trainer.dispose());

  it('mseScale of the batch equals the reference', () => {
    expect(Math.abs(trainer.config.mseScale - expected.mse_scale) / expected.mse_scale).toBeLessThan(1e-5);
  });

  it('trains in the reference working space and reconstructs as it does', () => {
    expect(maxAbsDiff(detail.input, refF32(`${variant}.train.x`))).toBeLessThan(1e-5);
    expect(maxAbsDiff(detail.recons, refF32(`${variant}.train.recons`))).toBeLessThan(1e-5);
  });

  it.each([
    ['loss_total', (m: typeof metrics) => m.loss],
    ['loss_main', (m: typeof metrics) => m.lossMain],
    ['loss_auxk', (m: typeof metrics) => manifest.auxk_coef * m.lossAux],
    ['mse', (m: typeof metrics) => m.mse],
  ])('%s within 1e-5 relative', (name, get) => {
    expect(Math.abs(get(metrics) - expected[name]) / Math.abs(expected[name])).toBeLessThan(1e-5);
  });

  it('updates dead statistics and the dead mask as the reference', () => {
    expect(Array.from(trainer.stats.since)).toEqual(refInts(`${variant}.train.stats_after`).map((s) => s * ROWS));
    const mask = refInts(`${variant}.train.dead_mask`);
    expect(Array.from(trainer.stats.deadIndices())).toEqual(mask.flatMap((m, j) => (m ? [j] : [])));
    expect(metrics.dead).toBe(manifest.autoencoders[variant].n_dead_after_stats_update);
  });

  it('selects the same AuxK latents with the same values', () => {
    // every reference row has ≥ k_aux positive dead pre-activations, with gaps > 1e-4, so the selection is unambiguous
    expect(manifest.autoencoders[variant].auxk_min_positive_dead_per_row).toBeGreaterThanOrEqual(manifest.auxk);
    expect(Array.from(detail.aux?.indices as Int32Array)).toEqual(refInts(`${variant}.train.auxk_indices`));
    expect(maxAbsDiff(detail.aux?.values as Float32Array, refF32(`${variant}.train.auxk_values`))).toBeLessThan(1e-5);
  });

  it.each(['pre_bias', 'latent_bias', 'encoder.weight', 'decoder.weight'])('gradient of %s (after the decoder adjustment) within 1e-5 relative', (name) => {
    const ours = { pre_bias: trainer.grads.preBias, latent_bias: trainer.grads.latentBias, 'encoder.weight': trainer.grads.encoder, 'decoder.weight': transpose(trainer.grads.decoder, manifest.n_latents, D) }[name] as Float32Array;
    expect(relDiff(ours, refF32(`${variant}.train.grad.${name}`))).toBeLessThan(1e-5);
  });

  it('parameters after one Adam step (lr 1e-4, eps 6.25e-10) within 1e-5 relative', () => {
    trainer.applyUpdate(manifest.adam.lr);
    const p = trainer.params;
    const ours: Record<string, Float32Array> = { pre_bias: p.preBias, latent_bias: p.latentBias, 'encoder.weight': p.encoder, 'decoder.weight': transpose(p.decoder, manifest.n_latents, D) };
    for (const [name, value] of Object.entries(ours)) expect(relDiff(value, refF32(`${variant}.train.param_after_adam.${name}`))).toBeLessThan(1e-5);
  });
});

describe('SparseTrainer over many steps', () => {
  it('keeps the tfjs tensor count flat and the decoder rows unit-norm', () => {
    const trainer = fixtureTrainer('nonorm');
    try {
      const x = refF32('X');
      trainer.trainStep(x, 1e-3, ROWS);
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) trainer.trainStep(x, 1e-3, ROWS);
      expect(tf.memory().numTensors).toBe(tensors);
      trainer.computeGradients(x, ROWS); // renormalises the decoder as train.py does before its step
      const dec = trainer.params.decoder;
      for (let j = 0; j < manifest.n_latents; j++) {
        let ss = 0;
        for (let t = 0; t < D; t++) ss += dec[j * D + t] ** 2;
        expect(Math.abs(Math.sqrt(ss) - 1)).toBeLessThan(1e-5);
      }
    } finally {
      trainer.dispose();
    }
  });

  it('refuses a batch wider than d_in and a NaN loss, naming the step', () => {
    const trainer = fixtureTrainer('nonorm');
    try {
      expect(() => trainer.computeGradients(new Float32Array(32 * 10), 10)).toThrow(/x must hold rows × dIn = 10 × 64 floats but has 320/);
      const bad = refF32('X').slice();
      bad[5] = NaN;
      expect(() => trainer.trainStep(bad, 1e-3, ROWS)).toThrow(/loss is NaN .* at optimiser step 1; parameters left as they were/);
    } finally {
      trainer.dispose();
    }
  });
});

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}
