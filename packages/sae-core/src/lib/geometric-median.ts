/**
 * The geometric median of rows `[rows, d]` (the point minimising Σ_r ‖x_r − m‖), by Weiszfeld's
 * iteration as the `geom_median` package that OpenAI's train.py calls (`init_from_data_`):
 *
 *   m ← Σ_r w_r x_r / Σ_r w_r,   w_r = 1 / max(‖x_r − m‖, eps)
 *
 * from the mean, until the objective changes by ≤ ftol · objective or maxIter passes.
 */
export interface GeometricMedianOptions {
  maxIter: number;
  /** relative objective change that stops the iteration */
  ftol: number;
  /** floor on distances, so a point at the median does not divide by zero */
  eps: number;
}
export const defaultGeometricMedianOptions: GeometricMedianOptions = { maxIter: 100, ftol: 1e-20, eps: 1e-8 };

export interface GeometricMedianResult {
  /** `[d]` */
  median: Float32Array;
  iterations: number;
  /** Σ_r ‖x_r − median‖ */
  objective: number;
}

export function geometricMedian(x: Float32Array, rows: number, d: number, options: Partial<GeometricMedianOptions> = {}): GeometricMedianResult {
  const { maxIter, ftol, eps } = { ...defaultGeometricMedianOptions, ...options };
  const m = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let t = 0; t < d; t++) m[t] += x[r * d + t] / rows;
  const dist = new Float64Array(rows);
  const distances = (): number => {
    let objective = 0;
    for (let r = 0; r < rows; r++) {
      let ss = 0;
      for (let t = 0; t < d; t++) ss += (x[r * d + t] - m[t]) ** 2;
      dist[r] = Math.sqrt(ss);
      objective += dist[r];
    }
    return objective;
  };
  let objective = distances();
  let iterations = 0;
  while (iterations < maxIter) {
    iterations++;
    const next = new Float64Array(d);
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const w = 1 / Math.max(dist[r], eps);
      total += w;
      for (let t = 0; t < d; t++) next[t] += w * x[r * d + t];
    }
    for (let t = 0; t < d; t++) m[t] = next[t] / total;
    const previous = objective;
    objective = distances();
    if (Math.abs(previous - objective) <= ftol * objective) break;
  }
  return { median: Float32Array.from(m), iterations, objective };
}
