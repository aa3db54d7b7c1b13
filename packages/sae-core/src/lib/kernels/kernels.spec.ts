import { assembleKernels } from './build-kernels';
import { KERNELS_WASM_BASE64 } from './kernels-wasm';
import { KernelArena } from './kernels';

it('the committed kernels-wasm.ts is kernels.wat assembled (run build-kernels.ts after editing the .wat)', async () => {
  expect(Buffer.from(await assembleKernels()).toString('base64')).toBe(KERNELS_WASM_BASE64);
});

describe('kernels against plain loops (lengths around the 4-lane boundary)', () => {
  it.each([1, 3, 4, 7, 64, 769])('n = %i', (n) => {
    const arena = new KernelArena();
    const [a, b, p, g, m, v] = [0, 1, 2, 3, 4, 5].map(() => arena.alloc(n + 3));
    arena.seal();
    for (let i = 0; i < n + 3; i++) {
      a.f[i] = Math.sin(i + 1);
      b.f[i] = Math.cos(2 * i);
      p.f[i] = i / 7;
      g.f[i] = Math.sin(3 * i) / 10;
      m.f[i] = 0.01 * i;
      v.f[i] = 0.001 * i;
    }
    let want = 0;
    for (let i = 0; i < n; i++) want += a.f[i + 1] * b.f[i];
    expect(arena.dot(a, 1, b, 0, n)).toBeCloseTo(want, 4);

    const expected = Array.from(a.f, (x, i) => (i >= 2 && i < n + 2 ? Math.fround(x + Math.fround(0.5 * b.f[i - 2])) : x));
    arena.axpy(a, 2, b, 0, 0.5, n);
    expect(Array.from(a.f)).toEqual(expected);

    // Adam, torch's formula, step 3
    const [lr, b1, b2, eps, step] = [1e-3, 0.9, 0.999, 6.25e-10, 3];
    const ref = Array.from(p.f, (pi, i) => {
      if (i >= n) return [pi, m.f[i], v.f[i]];
      const mi = b1 * m.f[i] + (1 - b1) * g.f[i];
      const vi = b2 * v.f[i] + (1 - b2) * g.f[i] ** 2;
      return [pi - (lr / (1 - b1 ** step)) * (mi / (Math.sqrt(vi) / Math.sqrt(1 - b2 ** step) + eps)), mi, vi];
    });
    arena.k.adam(p.ptr, g.ptr, m.ptr, v.ptr, n, lr / (1 - b1 ** step), b1, b2, eps, Math.sqrt(1 - b2 ** step));
    // float32 against float64: within a few ulps of the larger value
    const near = (got: number, want: number): boolean => Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want));
    ref.forEach(([pi, mi, vi], i) => expect([i, near(p.f[i], pi), near(m.f[i], mi), near(v.f[i], vi)]).toEqual([i, true, true, true]));
  });

  it('refuses to allocate after seal, which would detach the views', () => {
    const arena = new KernelArena();
    arena.alloc(4);
    arena.seal();
    expect(() => arena.alloc(4)).toThrow(/alloc after seal/);
  });
});
