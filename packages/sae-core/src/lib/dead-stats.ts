/**
 * Dead-latent statistics as OpenAI's train.py keeps them (`stats_last_nonzero`), counted in
 * tokens rather than steps so that the threshold does not depend on the batch size:
 *
 *   fired[j]  = some row's top-k picked j with a pre-activation > 1e-3
 *   since[j]  = (fired[j] ? 0 : since[j]) + rows          (tokens since j last fired)
 *   dead[j]   = since[j] > deadTokens                        (after this step's update)
 *
 * OpenAI's `stats_last_nonzero` is `since / batch` for a fixed batch; its default of 10M tokens
 * follows Gao et al. 2024 §2.4.
 */
export const FIRE_THRESHOLD = 1e-3;

export class DeadStats {
  /** `[n]` tokens since each latent last fired. */
  readonly since: Float64Array;

  constructor(
    readonly nLatents: number,
    readonly deadTokens: number,
  ) {
    this.since = new Float64Array(nLatents);
  }

  /**
   * Counts this step's rows.
   * @param topIndices `[rows, k]`
   * @param topValues `[rows, k]` pre-activations (before ReLU)
   * @returns how many distinct latents fired
   */
  update(topIndices: Int32Array, topValues: Float32Array, rows: number): number {
    const fired = new Uint8Array(this.nLatents);
    for (let i = 0; i < topIndices.length; i++) if (topValues[i] > FIRE_THRESHOLD) fired[topIndices[i]] = 1;
    let count = 0;
    for (let j = 0; j < this.nLatents; j++) {
      if (fired[j]) count++;
      this.since[j] = (fired[j] ? 0 : this.since[j]) + rows;
    }
    return count;
  }

  /** The dead latents' indices, ascending. */
  deadIndices(): Int32Array {
    const out: number[] = [];
    for (let j = 0; j < this.nLatents; j++) if (this.since[j] > this.deadTokens) out.push(j);
    return Int32Array.from(out);
  }
}
