import { geometricMedian } from './geometric-median';
import { defaultLr, initSae } from './init';

describe('geometricMedian', () => {
  it('is the coordinate median for points on a line', () => {
    const xs = [0, 1, 2, 10, 100];
    const pts = Float32Array.from(xs.flatMap((x) => [x, 2 * x]));
    const { median } = geometricMedian(pts, 5, 2);
    expect(median[0]).toBeCloseTo(2, 4);
    expect(median[1]).toBeCloseTo(4, 4);
  });

  it('is the Fermat point of a triangle with angles < 120°: unit vectors to the vertices sum to ~0', () => {
    const pts = Float32Array.from([0, 0, 4, 0, 1, 3]);
    const { median } = geometricMedian(pts, 3, 2);
    let gx = 0;
    let gy = 0;
    for (let r = 0; r < 3; r++) {
      const dx = pts[2 * r] - median[0];
      const dy = pts[2 * r + 1] - median[1];
      const len = Math.hypot(dx, dy);
      gx += dx / len;
      gy += dy / len;
    }
    expect(Math.hypot(gx, gy)).toBeLessThan(1e-3);
  });

  it('barely moves for a far outlier, unlike the mean', () => {
    const pts = new Float32Array(11 * 3);
    for (let r = 0; r < 10; r++) pts.set([Math.sin(r), Math.cos(r), r % 3], r * 3);
    const clean = geometricMedian(pts.subarray(0, 30), 10, 3).median;
    pts.set([1e6, 1e6, 1e6], 30);
    const withOutlier = geometricMedian(pts, 11, 3).median;
    expect(Math.hypot(...clean.map((v, t) => v - withOutlier[t]))).toBeLessThan(0.5);
  });
});

describe('initSae', () => {
  const d = 8;
  const n = 32;
  const rows = 50;
  const sample = Float32Array.from({ length: rows * d }, (_, i) => Math.sin(i * 0.37) * 3 + (i % d));

  it('ties the encoder to unit-norm decoder rows, zero latent bias, pre_bias = geometric median; seeded', () => {
    const sae = initSae({ dIn: d, nLatents: n, k: 4, activation: 'topk', normalize: false }, sample, rows, 7);
    for (let j = 0; j < n; j++) {
      const row = sae.params.decoder.subarray(j * d, (j + 1) * d);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    }
    expect(sae.params.encoder).toEqual(sae.params.decoder);
    expect(Array.from(sae.params.latentBias).every((v) => v === 0)).toBe(true);
    expect(sae.params.preBias).toEqual(geometricMedian(sample, rows, d).median);
    expect(initSae(sae.spec, sample, rows, 7).params.decoder).toEqual(sae.params.decoder);
    expect(initSae(sae.spec, sample, rows, 8).params.decoder).not.toEqual(sae.params.decoder);
  });

  it('takes the pre_bias in LN space when the autoencoder normalises', () => {
    const sae = initSae({ dIn: d, nLatents: n, k: 4, activation: 'topk', normalize: true }, sample, rows, 7);
    // LN rows have mean 0, so their geometric median is near 0 in the mean direction
    expect(Math.abs(sae.params.preBias.reduce((a, b) => a + b, 0))).toBeLessThan(1);
  });

  it('refuses k ≥ n and a sample of the wrong width', () => {
    expect(() => initSae({ dIn: d, nLatents: n, k: n, activation: 'topk', normalize: false }, sample, rows, 0)).toThrow(/'k' must be an integer in \[1, nLatents\) = \[1, 32\) but got 32/);
    expect(() => initSae({ dIn: d + 1, nLatents: n, k: 4, activation: 'topk', normalize: false }, sample, rows, 0)).toThrow(/sample must hold rows × dIn = 50 × 9 floats but has 400/);
  });

  it('scales the default lr as OpenAI: 2e-4 at 2^14 latents, ×√2 per halving', () => {
    expect(defaultLr(2 ** 14)).toBeCloseTo(2e-4, 12);
    expect(defaultLr(2 ** 12)).toBeCloseTo(4e-4, 12);
  });
});
