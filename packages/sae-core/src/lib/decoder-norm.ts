/**
 * OpenAI's decoder constraint, after each backward pass (train.py `unit_norm_decoder_` then
 * `unit_norm_decoder_grad_adjustment_`), per latent j with decoder column w_j and gradient g_j:
 *
 *   w_j ← w_j / ‖w_j‖
 *   g_j ← g_j − (w_j · g_j) w_j        (the component along w_j would only change its norm)
 *
 * Columns are rows here: the decoder is stored latent-major `[n, d]`.
 */
import { KBuf, KernelArena } from './kernels/kernels';

export function unitNormDecoder(arena: KernelArena, decoder: KBuf, n: number, d: number): void {
  const w = decoder.f;
  for (let j = 0; j < n; j++) {
    const norm = Math.sqrt(arena.dot(decoder, j * d, decoder, j * d, d));
    for (let t = j * d; t < (j + 1) * d; t++) w[t] /= norm;
  }
}

export function projectDecoderGrad(arena: KernelArena, decoder: KBuf, grad: KBuf, n: number, d: number): void {
  for (let j = 0; j < n; j++) {
    const along = arena.dot(decoder, j * d, grad, j * d, d);
    if (along !== 0) arena.axpy(grad, j * d, decoder, j * d, -along, d);
  }
}
