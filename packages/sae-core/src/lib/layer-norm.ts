/**
 * OpenAI's input LayerNorm (sparse_autoencoder/model.py `LN`), per row of x `[rows, d]`:
 *
 *   mu  = mean(x)
 *   std = sqrt(Σ (x − mu)² / (d − 1))          (unbiased, as torch's `x.std()`)
 *   x̂   = (x − mu) / (std + eps),  eps = 1e-5   (eps added to the std, not the variance)
 *
 * and its "inverse" in decode: recons · std + mu (not exact: it drops the eps).
 */
export const LN_EPS = 1e-5;

export interface LayerNormResult {
  /** `[rows, d]` */
  normalized: Float32Array;
  /** `[rows]` */
  mu: Float32Array;
  /** `[rows]` */
  std: Float32Array;
}

export function layerNorm(x: Float32Array, rows: number, d: number, out: Float32Array = new Float32Array(rows * d)): LayerNormResult {
  const mu = new Float32Array(rows);
  const std = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let sum = 0;
    for (let t = 0; t < d; t++) sum += x[o + t];
    const m = sum / d;
    let ss = 0;
    for (let t = 0; t < d; t++) ss += (x[o + t] - m) ** 2;
    const s = Math.sqrt(ss / (d - 1));
    mu[r] = m;
    std[r] = s;
    const inv = 1 / (Math.fround(s) + LN_EPS);
    for (let t = 0; t < d; t++) out[o + t] = (x[o + t] - Math.fround(m)) * inv;
  }
  return { normalized: out, mu, std };
}

/** recons · std + mu, per row, in place. */
export function undoLayerNorm(recons: Float32Array, rows: number, d: number, mu: Float32Array, std: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    for (let t = 0; t < d; t++) recons[o + t] = recons[o + t] * std[r] + mu[r];
  }
  return recons;
}
