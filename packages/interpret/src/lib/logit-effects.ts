/**
 * What each latent's decoder direction does to the next-token logits if added to the residual
 * stream, read straight through the unembedding (as Neuronpedia's and SAELens' dashboards do):
 *
 *   effect_j = W_dec[j] · W_U,   W_U = wteᵀ  [d, vocab]   (GPT-2 ties the unembedding to wte)
 *
 * ln_f is NOT folded in (neither its scale nor its centring): these are the raw direct-path
 * effects, comparable across latents but not calibrated logit changes.
 */
import * as tf from '@tensorflow/tfjs';

export interface LogitEffect {
  token: number;
  value: number;
}

export interface LogitEffects {
  positive: LogitEffect[];
  negative: LogitEffect[];
}

/**
 * @param decoder `[nLatents, d]` the SAE decoder (latent-major)
 * @param wte `[vocab, d]` the token embedding
 * @returns per selected latent, its `top` most positive and most negative effects
 */
export function logitEffects(decoder: Float32Array, d: number, latents: Int32Array, wte: Float32Array, vocab: number, top: number, chunk = 256): LogitEffects[] {
  const out: LogitEffects[] = [];
  const wU = tf.tidy(() => tf.transpose(tf.tensor2d(wte, [vocab, d]))); // [d, vocab]: the fast matmul layout
  try {
    for (let start = 0; start < latents.length; start += chunk) {
      const ids = latents.subarray(start, Math.min(latents.length, start + chunk));
      const rows = new Float32Array(ids.length * d);
      ids.forEach((j, r) => rows.set(decoder.subarray(j * d, (j + 1) * d), r * d));
      const effects = tf.tidy(() => tf.matMul(tf.tensor2d(rows, [ids.length, d]), wU));
      const values = effects.dataSync() as Float32Array; // [chunk, vocab]
      effects.dispose();
      for (let r = 0; r < ids.length; r++) out.push(extremes(values.subarray(r * vocab, (r + 1) * vocab), top));
    }
  } finally {
    wU.dispose();
  }
  return out;
}

/** The `top` largest and smallest entries (ties: lower token id first), in one pass. */
function extremes(v: Float32Array, top: number): LogitEffects {
  const best = (sign: 1 | -1): LogitEffect[] => {
    const kept: LogitEffect[] = []; // sorted best first
    for (let t = 0; t < v.length; t++) {
      const x = sign * v[t];
      if (kept.length === top && x <= sign * kept[top - 1].value) continue; // equal: the earlier id stays
      let i = kept.length;
      while (i > 0 && x > sign * kept[i - 1].value) i--;
      kept.splice(i, 0, { token: t, value: v[t] });
      if (kept.length > top) kept.pop();
    }
    return kept;
  };
  return { positive: best(1), negative: best(-1) };
}
