/**
 * The scalars of OpenAI's train.py and loss.py, on row-major `[rows, d]` arrays:
 *
 *   mse(a, b)            = mean((a − b)²)
 *   fvu(recons, x)       = mse(recons, x) / mse(mean_rows(x), x)    (train.py `normalized_mse`)
 *   nmse(recons, x)      = mean_rows( Σ_t (recons − x)² / Σ_t x² )   (loss.py `normalized_mean_squared_error`)
 *   mseScale(sample)     = 1 / mse(mean_rows(sample), sample)        (train.py, from the init sample)
 */

/** mean over rows of (x − mean_rows(x))², i.e. the total variance per element. */
export function batchVariance(x: Float32Array, rows: number, d: number): number {
  const mean = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let t = 0; t < d; t++) mean[t] += x[r * d + t];
  for (let t = 0; t < d; t++) mean[t] /= rows;
  let ss = 0;
  for (let r = 0; r < rows; r++) for (let t = 0; t < d; t++) ss += (x[r * d + t] - mean[t]) ** 2;
  return ss / (rows * d);
}

export const mseScaleOf = (sample: Float32Array, rows: number, d: number): number => 1 / batchVariance(sample, rows, d);

export function mse(a: Float32Array, b: Float32Array, length = a.length): number {
  let ss = 0;
  for (let i = 0; i < length; i++) ss += (a[i] - b[i]) ** 2;
  return ss / length;
}

export const fvu = (recons: Float32Array, x: Float32Array, rows: number, d: number): number => mse(recons, x, rows * d) / batchVariance(x, rows, d);

export function nmse(recons: Float32Array, x: Float32Array, rows: number, d: number): number {
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    let err = 0;
    let norm = 0;
    for (let t = 0; t < d; t++) {
      err += (recons[r * d + t] - x[r * d + t]) ** 2;
      norm += x[r * d + t] ** 2;
    }
    sum += err / norm;
  }
  return sum / rows;
}
