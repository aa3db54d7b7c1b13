/**
 * The sparse halves of a training step, as OpenAI's kernels do them: per row only the k (+ k_aux)
 * selected latents are touched, so neither the decoder product nor the encoder's backward is a
 * dense matmul. For row r with selected latents S_r and values z (after ReLU):
 *
 *   decode:    y_r = Σ_{j∈S_r} z_j · dec_j                                  (+ pre_bias by caller)
 *   backward, given g_r = ∂loss/∂y_r:
 *     ∂z_j        = [z_j > 0] · (g_r · dec_j)           (ReLU′, then the decoder's transpose)
 *     ∂dec_j     += z_j · g_r
 *     ∂lat_bias_j += ∂z_j
 *     ∂enc_j     += ∂z_j · xc_r                         (xc = x − pre_bias)
 *     ∂xc_r      += ∂z_j · enc_j                        (→ ∂pre_bias −= Σ_r ∂xc_r)
 *
 * Latent rows of enc/dec are contiguous `[n, d]`, so each term is one SIMD dot or axpy of d floats.
 */
import { KBuf, KernelArena } from './kernels/kernels';

/** Row r's selection: `width` entries per row at `[r·width, (r+1)·width)`; index −1 = none. */
export interface Selection {
  width: number;
  indices: Int32Array;
  /** after ReLU */
  values: Float32Array;
}

/** out_r += Σ z_j dec_j for each row. */
export function sparseDecode(arena: KernelArena, sel: Selection, rows: number, decoder: KBuf, out: KBuf, d: number): void {
  const { width, indices, values } = sel;
  for (let r = 0; r < rows; r++) {
    for (let s = r * width; s < (r + 1) * width; s++) {
      const z = values[s];
      if (z > 0) arena.axpy(out, r * d, decoder, indices[s] * d, z, d);
    }
  }
}

export interface BackwardBuffers {
  /** `[rows, d]` ∂loss/∂y for this selection's decode */
  gOut: KBuf;
  /** `[rows, d]` x − pre_bias */
  xc: KBuf;
  encoder: KBuf;
  decoder: KBuf;
  gEncoder: KBuf;
  gDecoder: KBuf;
  gLatentBias: KBuf;
  /** `[rows, d]` accumulates ∂loss/∂xc */
  gXc: KBuf;
}

/** Accumulates one selection's gradients (main top-k or AuxK) into the buffers. */
export function sparseBackward(arena: KernelArena, sel: Selection, rows: number, b: BackwardBuffers, d: number): void {
  const { width, indices, values } = sel;
  const gLat = b.gLatentBias.f;
  for (let r = 0; r < rows; r++) {
    const ro = r * d;
    for (let s = r * width; s < (r + 1) * width; s++) {
      const z = values[s];
      if (!(z > 0)) continue; // ReLU′ = 0, and z = 0 adds nothing to ∂dec
      const jo = indices[s] * d;
      const gz = arena.dot(b.gOut, ro, b.decoder, jo, d);
      arena.axpy(b.gDecoder, jo, b.gOut, ro, z, d);
      gLat[indices[s]] += gz;
      arena.axpy(b.gEncoder, jo, b.xc, ro, gz, d);
      arena.axpy(b.gXc, ro, b.encoder, jo, gz, d);
    }
  }
}
