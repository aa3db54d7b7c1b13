import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { denseGradients, denseVariables, disposeDenseVariables } from './dense-reference';
import { SparseTrainer } from './sparse-trainer';
import { KernelArena } from './kernels/kernels';
import { projectDecoderGrad, unitNormDecoder } from './decoder-norm';
import { mseScaleOf } from './train-loss';
import { fixtureSae, manifest, maxAbsDiff, refF32, refInts, VARIANTS } from '../../test/support/reference';

beforeAll(async () => {
  await initBackend('wasm');
});

const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => maxAbsDiff(a, b) / Math.max(...Array.from(b, Math.abs));

describe.each(VARIANTS)('hand-derived sparse gradients = tfjs autodiff of the dense loss (%s)', (variant) => {
  it.each([
    ['with AuxK', manifest.auxk as number],
    ['without AuxK', 0],
  ])('%s', (_, kAux) => {
    const rows = 32;
    const d = manifest.n_inputs as number;
    const n = manifest.n_latents as number;
    const sae = fixtureSae(variant);
    const mseScale = mseScaleOf(refF32(`${variant}.train.x`), rows, d);
    const trainer = new SparseTrainer(sae, { maxRows: rows, kAux, deadTokens: manifest.dead_steps_threshold * rows, mseScale });
    refInts(`${variant}.train.stats_before`).forEach((s, j) => (trainer.stats.since[j] = s * rows));
    const { metrics, detail } = trainer.computeGradients(refF32('X'), rows);

    const v = denseVariables(sae.params, d, n);
    const before = tf.memory().numTensors;
    const dense = denseGradients(v, { x: detail.input, rows, d, n, k: sae.spec.k, kAux, auxkCoef: manifest.auxk_coef, mseScale, dead: trainer.stats.deadIndices() });
    expect(tf.memory().numTensors).toBe(before);
    disposeDenseVariables(v);
    // autodiff gives the raw decoder gradient; apply train.py's renormalisation and projection
    const arena = new KernelArena();
    const dec = arena.alloc(n * d);
    const g = arena.alloc(n * d);
    arena.seal();
    dec.f.set(sae.params.decoder);
    g.f.set(dense.grads.decoder);
    unitNormDecoder(arena, dec, n, d);
    projectDecoderGrad(arena, dec, g, n, d);

    expect(Math.abs(dense.loss - metrics.loss) / metrics.loss).toBeLessThan(1e-5);
    expect(relDiff(trainer.grads.preBias, dense.grads.preBias)).toBeLessThan(1e-5);
    expect(relDiff(trainer.grads.latentBias, dense.grads.latentBias)).toBeLessThan(1e-5);
    expect(relDiff(trainer.grads.encoder, dense.grads.encoder)).toBeLessThan(1e-5);
    expect(relDiff(trainer.grads.decoder, g.f)).toBeLessThan(1e-5);
    trainer.dispose();
  });
});
