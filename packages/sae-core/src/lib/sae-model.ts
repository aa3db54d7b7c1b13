/**
 * Inference with an autoencoder, as OpenAI's `Autoencoder.encode / decode / forward`:
 *
 *   x̂        = LN(x) if normalize else x                      (info = { mu, std })
 *   preActs  = encoder · (x̂ − pre_bias) + latent_bias
 *   latents  = ReLU(top-k of preActs) scattered into zeros     (topk)  |  ReLU(preActs)  (relu)
 *   recons   = decoder · latents + pre_bias,  then · std + mu if normalize
 */
import { EncoderMatmul } from './encoder-matmul';
import { SaeError } from './errors';
import { layerNorm, undoLayerNorm } from './layer-norm';
import { Sae, validateSae } from './sae';
import { topKRows } from './topk';

/** LN statistics per row, to undo the normalisation in decode. */
export interface LnInfo {
  /** `[rows]` */
  mu: Float32Array;
  /** `[rows]` */
  std: Float32Array;
}

export interface EncodeResult {
  rows: number;
  /** `[rows, d]` the input in the autoencoder's working space (after LN when normalize). */
  input: Float32Array;
  /** `[rows, n]` */
  preActs: Float32Array;
  /** `[rows, n]` the latents: zeros but for each row's k active ones (topk); empty when encode(…, dense = false) */
  latents: Float32Array;
  /** `[rows, k]` for topk: the selected latents, by pre-activation descending; null for relu. */
  topIndices: Int32Array | null;
  /** `[rows, k]` for topk: ReLU of the selected pre-activations; null for relu. */
  topValues: Float32Array | null;
  /** Present when the autoencoder normalises its input. */
  info: LnInfo | null;
}

/** Each row's non-zero latents, CSR: row r holds `indices/values[offsets[r] … offsets[r+1])`. */
export interface SparseCodes {
  rows: number;
  /** `[rows + 1]` */
  offsets: Int32Array;
  /** latent ids; for topk in pre-activation order (largest first) */
  indices: Int32Array;
  /** the latents' values (> 0) */
  values: Float32Array;
}

export interface ForwardResult extends EncodeResult {
  /** `[rows, d]` in the input's space (LN undone). */
  recons: Float32Array;
}

export class SaeModel {
  private readonly matmul: EncoderMatmul;

  constructor(readonly sae: Sae) {
    validateSae(sae);
    const { dIn, nLatents } = sae.spec;
    this.matmul = new EncoderMatmul(dIn, nLatents, sae.params.encoder, sae.params.latentBias);
  }

  /** @param x `[rows, dIn]` row-major */
  encode(x: Float32Array, rows = x.length / this.sae.spec.dIn, dense = true): EncodeResult {
    const { dIn: d, nLatents: n, k, activation, normalize } = this.sae.spec;
    if (!Number.isInteger(rows) || x.length !== rows * d) {
      throw new SaeError('SHAPE_MISMATCH', `encode: x must hold rows × dIn = ${rows} × ${d} floats but has ${x.length}; the autoencoder's d_in is ${d}`);
    }
    const ln = normalize ? layerNorm(x, rows, d) : null;
    const input = ln ? ln.normalized : x;
    const xc = new Float32Array(rows * d);
    const pre = this.sae.params.preBias;
    for (let i = 0; i < xc.length; i++) xc[i] = input[i] - pre[i % d];
    const preActs = this.matmul.preActs(xc, rows);
    const latents = new Float32Array(dense ? rows * n : 0);
    let topIndices: Int32Array | null = null;
    let topValues: Float32Array | null = null;
    if (activation === 'topk') {
      const top = topKRows(preActs, rows, n, k);
      topIndices = top.indices;
      topValues = top.values.map((v) => (v > 0 ? v : 0));
      if (dense) for (let r = 0; r < rows; r++) for (let s = 0; s < k; s++) latents[r * n + topIndices[r * k + s]] = topValues[r * k + s];
    } else if (dense) {
      for (let i = 0; i < latents.length; i++) latents[i] = preActs[i] > 0 ? preActs[i] : 0;
    }
    return { rows, input, preActs, latents, topIndices, topValues, info: ln ? { mu: ln.mu, std: ln.std } : null };
  }

  /**
   * The non-zero latents of each row, without the dense `[rows, n]` latents (what a pass over
   * many tokens wants: for topk at most k numbers a row).
   * @param x `[rows, dIn]` row-major
   */
  encodeSparse(x: Float32Array, rows = x.length / this.sae.spec.dIn): SparseCodes {
    const { nLatents: n, k, activation } = this.sae.spec;
    const { preActs, topIndices, topValues } = this.encode(x, rows, false);
    const offsets = new Int32Array(rows + 1);
    const width = activation === 'topk' ? k : n;
    const indices = new Int32Array(rows * width);
    const values = new Float32Array(rows * width);
    let at = 0;
    for (let r = 0; r < rows; r++) {
      for (let s = 0; s < width; s++) {
        const j = topIndices ? topIndices[r * k + s] : s;
        const v = topValues ? topValues[r * k + s] : preActs[r * n + s];
        if (!(v > 0)) continue;
        indices[at] = j;
        values[at++] = v;
      }
      offsets[r + 1] = at;
    }
    return { rows, offsets, indices: indices.slice(0, at), values: values.slice(0, at) };
  }

  /**
   * @param latents `[rows, n]` dense latents
   * @returns `[rows, dIn]` decoder · latents + pre_bias, LN undone when `info` is given
   */
  decode(latents: Float32Array, rows: number, info: LnInfo | null = null): Float32Array {
    const { dIn: d, nLatents: n } = this.sae.spec;
    const { decoder, preBias } = this.sae.params;
    const recons = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      recons.set(preBias, o);
      for (let j = 0; j < n; j++) {
        const z = latents[r * n + j];
        if (z === 0) continue;
        const w = j * d;
        for (let t = 0; t < d; t++) recons[o + t] += z * decoder[w + t];
      }
    }
    return info ? undoLayerNorm(recons, rows, d, info.mu, info.std) : recons;
  }

  forward(x: Float32Array, rows = x.length / this.sae.spec.dIn): ForwardResult {
    const encoded = this.encode(x, rows);
    return { ...encoded, recons: this.decode(encoded.latents, rows, encoded.info) };
  }

  /** Frees the tfjs tensors. */
  dispose(): void {
    this.matmul.dispose();
  }
}
