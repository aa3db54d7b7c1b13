/**
 * Next-token cross-entropy and KL divergence from rows of log-probabilities (the graph's log
 * softmax of the logits, `SplitGpt2Runner` with `output: 'log_probs'`), summed in float64:
 *
 *   CE(ℓ, t)        = −ℓ_t                                   (nats)
 *   KL(p ‖ q)       = Σ_v p_v (ℓ_v − m_v),   p_v = exp(ℓ_v)  ℓ = log p (clean), m = log q (spliced)
 *
 * A row is `logProbs[at, at + V)`; rows are read in place, never copied.
 */

// A module binding, not `Math.exp` in the loop: inside a vm context (Jest) every read of the
// global `Math` goes through the context's interceptor, 10x slower over a 50,257-word vocabulary.
const { exp } = Math;

/** −log p(target) from one row of log-probabilities. */
export function crossEntropy(logProbs: Float32Array, at: number, target: number): number {
  return -logProbs[at + target];
}

/** KL(p ‖ q) between two rows of log-probabilities, ≥ 0 (float rounding can leave −1e-9 where they agree). */
export function klDivergence(p: Float32Array, q: Float32Array, at: number, vocab: number): number {
  let sum = 0;
  for (let v = at; v < at + vocab; v++) {
    const lp = p[v];
    if (lp !== q[v]) sum += exp(lp) * (lp - q[v]); // equal entries (a splice that changed nothing) cost no exp
  }
  return Math.max(0, sum);
}
