/**
 * A small seeded random source, the same numbers on every platform Node runs on:
 *
 *   mulberry32(seed)   uniform in [0, 1) with 2^-32 resolution, period 2^32 (Tommy Ettinger's
 *                      mulberry32: a Weyl sequence + one 32-bit mix; only integer ops)
 *   seededNormal(seed) standard normal by Box–Muller on two uniforms u1 ∈ (0, 1], u2:
 *                      z0 = √(−2 ln u1) cos(2π u2), z1 = √(−2 ln u1) sin(2π u2), both used in turn
 *
 * V8 computes `Math.log/cos/sin/sqrt` with its own ports of fdlibm, so the values do not depend
 * on the C library; stored as float32 they are bit-identical across machines.
 */

// Module-level copies: inside Jest's vm context every `Math.x` is a slow global lookup (15× here).
const { cos, imul, log, PI, sin, sqrt } = Math;

/** A uniform generator in [0, 1), seeded by the 32-bit integer `seed` (other numbers are cut to 32 bits). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = imul(a ^ (a >>> 15), 1 | a);
    t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal generator (mean 0, variance 1) from `mulberry32(seed)` by Box–Muller. */
export function seededNormal(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    const radius = sqrt(-2 * log(1 - uniform())); // 1 - u ∈ (0, 1]: log never sees 0
    const angle = 2 * PI * uniform();
    spare = radius * sin(angle);
    return radius * cos(angle);
  };
}
