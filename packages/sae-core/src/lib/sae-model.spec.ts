import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { ForwardResult, SaeModel } from './sae-model';
import { fixtureSae, manifest, maxAbsDiff, refF32, refInts, VARIANTS } from '../../test/support/reference';

beforeAll(async () => {
  await initBackend('wasm');
  expect(tf.getBackend()).toBe('wasm');
});

describe.each(VARIANTS)('SaeModel on the OpenAI reference autoencoder (%s)', (variant) => {
  const X = refF32('X'); // [32, 64]
  const rows = 32;
  let model: SaeModel;
  let out: ForwardResult;
  beforeAll(() => {
    model = new SaeModel(fixtureSae(variant));
    out = model.forward(X, rows);
  });
  afterAll(() => model.dispose());

  it.each([
    ['latents_pre_act', () => out.preActs],
    ['latents', () => out.latents],
    ['recons', () => out.recons],
    ['topk_values', () => out.topValues as Float32Array],
  ])('%s matches within 1e-5', (name, get) => {
    expect(maxAbsDiff(get(), refF32(`${variant}.${name}`))).toBeLessThan(1e-5);
  });

  it('selects the same top-k latents in the same order', () => {
    // the reference's smallest gap between a kept and a dropped value is > 1e-3, so the sets are unambiguous
    expect(manifest.autoencoders[variant].topk_min_gap).toBeGreaterThan(1e-3);
    expect(Array.from(out.topIndices as Int32Array)).toEqual(refInts(`${variant}.topk_indices`));
  });

  if (variant === 'norm') {
    it('normalises as OpenAI LN: x̂, mu and unbiased std', () => {
      expect(maxAbsDiff(out.input, refF32('norm.x_normalized'))).toBeLessThan(1e-5);
      expect(maxAbsDiff(out.info?.mu as Float32Array, refF32('norm.info.mu'))).toBeLessThan(1e-5);
      expect(maxAbsDiff(out.info?.std as Float32Array, refF32('norm.info.std'))).toBeLessThan(1e-5);
    });

    it('reproduces the end-to-end GPT-2 hook rows', () => {
      const e2e = model.forward(refF32('e2e.input'), 48);
      expect(maxAbsDiff(e2e.latents, refF32('e2e.latents'))).toBeLessThan(1e-5);
      expect(maxAbsDiff(e2e.recons, refF32('e2e.recons'))).toBeLessThan(1e-5);
    });
  } else {
    it('passes the input through unchanged and reports no LN info', () => {
      expect(out.info).toBeNull();
      expect(out.input).toBe(X);
    });
  }

  it('leaves no tfjs tensors behind across calls', () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) model.forward(X, rows);
    expect(tf.memory().numTensors).toBe(before);
  });
});

it('refuses an input whose width is not the autoencoder d_in, naming both', () => {
  const model = new SaeModel(fixtureSae('nonorm'));
  try {
    expect(() => model.encode(new Float32Array(10 * 32), 10)).toThrow(/x must hold rows × dIn = 10 × 64 floats but has 320; the autoencoder's d_in is 64/);
  } finally {
    model.dispose();
  }
});

describe('encodeSparse', () => {
  it.each(VARIANTS)('holds exactly the non-zero latents of encode, per row (%s)', (variant) => {
    const model = new SaeModel(fixtureSae(variant));
    try {
      const X = refF32('X');
      const dense = model.encode(X, 32).latents;
      const sparse = model.encodeSparse(X, 32);
      const rebuilt = new Float32Array(dense.length);
      for (let r = 0; r < 32; r++) for (let i = sparse.offsets[r]; i < sparse.offsets[r + 1]; i++) rebuilt[r * 256 + sparse.indices[i]] = sparse.values[i];
      expect(rebuilt).toEqual(dense);
      expect(sparse.values.every((v) => v > 0)).toBe(true);
    } finally {
      model.dispose();
    }
  });
});
