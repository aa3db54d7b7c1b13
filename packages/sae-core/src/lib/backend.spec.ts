import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend, parseBackendRequest, SaeError } from '../index';

/** Whether libtensorflow bindings load on this machine (they do not where npm could not download them). */
function tensorflowLoads(): boolean {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- probing optional packages
      require(pkg);
      return true;
    } catch {
      // try the next
    }
  }
  return false;
}

/** A small GEMM on the active backend, as plain numbers. */
function gemm(): Float32Array {
  return tf.tidy(() => {
    const a = tf.tensor2d(Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), [64, 48]);
    const b = tf.tensor2d(Array.from({ length: 48 * 32 }, (_, i) => Math.cos(i * 0.7)), [48, 32]);
    return tf.matMul(a, b).dataSync() as Float32Array;
  });
}

describe('initBackend', () => {
  const saved = process.env.SAESTREAM_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.SAESTREAM_BACKEND;
    else process.env.SAESTREAM_BACKEND = saved;
  });

  it('auto takes tensorflow where it loads, else wasm, and says what it skipped', async () => {
    delete process.env.SAESTREAM_BACKEND;
    const choice = await initBackend();
    const expected = tensorflowLoads() ? 'tensorflow' : 'wasm';
    expect(choice).toMatchObject({ name: expected, requested: 'auto', source: 'default' });
    expect(tf.getBackend()).toBe(expected);
    if (expected === 'wasm') {
      expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow']);
      expect(describeBackend(choice)).toMatch(/^tfjs backend: wasm \((no )?SIMD\) — skipped tensorflow: /);
    }
  });

  it('wasm and cpu compute the same GEMM (within float32 accumulation error)', async () => {
    await initBackend('cpu');
    const cpu = gemm();
    await initBackend('wasm');
    const wasm = gemm();
    // Reference in float64 from the same inputs.
    const ref = new Float64Array(64 * 32);
    for (let i = 0; i < 64; i++) for (let j = 0; j < 32; j++) for (let k = 0; k < 48; k++) ref[i * 32 + j] += Math.fround(Math.sin(i * 48 + k)) * Math.fround(Math.cos((k * 32 + j) * 0.7));
    for (const got of [cpu, wasm]) expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - ref[i])))).toBeLessThan(1e-4);
  });

  it('honours SAESTREAM_BACKEND', async () => {
    process.env.SAESTREAM_BACKEND = 'cpu';
    expect(await initBackend()).toMatchObject({ name: 'cpu', requested: 'cpu', source: 'SAESTREAM_BACKEND', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown name, listing the choices', async () => {
    process.env.SAESTREAM_BACKEND = 'cuda';
    await expect(initBackend()).rejects.toThrow("SAESTREAM_BACKEND must be one of [auto, tensorflow, wasm, cpu] but got 'cuda'");
    expect(() => parseBackendRequest('gpu', '--backend')).toThrow(SaeError);
  });

  // Only where libtensorflow is absent (as on CI) is there an unloadable backend to name.
  (tensorflowLoads() ? it.skip : it)('never falls back from a named backend that cannot load', async () => {
    await expect(initBackend('tensorflow')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(initBackend('tensorflow')).rejects.toThrow(/tfjs backend 'tensorflow' \(from argument\) cannot load here \(tensorflow: @tensorflow\/tfjs-node-gpu: .*\); choose one of/);
  });
});
