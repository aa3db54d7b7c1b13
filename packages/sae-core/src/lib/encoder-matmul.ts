/**
 * The one dense product of a TopK autoencoder, on tfjs:
 *
 *   preActs = (x − pre_bias) · encoderᵀ + latent_bias        [rows, d] · [d, n] → [rows, n]
 *
 * The encoder is kept latent-major `[n, d]` for the sparse kernels; tfjs-wasm multiplies a
 * transposed right operand ~10x slower than a plain one here (1.5 vs 14.6 GFLOP/s), so the
 * encoder is transposed once into a `[d, n]` tensor per parameter version.
 */
import * as tf from '@tensorflow/tfjs';

export class EncoderMatmul {
  private encT: tf.Tensor2D; // [d, n]
  private bias: tf.Tensor1D; // [n]

  constructor(
    private readonly d: number,
    private readonly n: number,
    encoder: Float32Array,
    latentBias: Float32Array,
  ) {
    this.encT = this.transposed(encoder);
    this.bias = tf.tensor1d(latentBias);
  }

  private transposed(encoder: Float32Array): tf.Tensor2D {
    return tf.tidy(() => tf.transpose(tf.tensor2d(encoder, [this.n, this.d])));
  }

  /** Uploads new parameter values (after an optimiser step). */
  update(encoder: Float32Array, latentBias: Float32Array): void {
    this.dispose();
    this.encT = this.transposed(encoder);
    this.bias = tf.tensor1d(latentBias);
  }

  /**
   * @param xc `[rows, d]` the input with pre_bias already subtracted
   * @returns `[rows, n]` pre-activations, on the JS heap
   */
  preActs(xc: Float32Array, rows: number): Float32Array {
    const out = tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(xc, [rows, this.d]), b: this.encT, bias: this.bias }));
    try {
      return out.dataSync() as Float32Array;
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.encT.dispose();
    this.bias.dispose();
  }
}
