/**
 * The same training loss written densely in tfjs and differentiated by tfjs autodiff: the
 * independent check of the hand-derived sparse gradients, and the baseline of the trainer's
 * benchmark. Every product is a dense `[rows, n]` matmul, as a naive implementation would do.
 *
 *   pre     = (x̂ − b_pre) · encᵀ + b_lat                      [rows, n]
 *   z       = ReLU(pre ⊙ M_top),  z_aux = ReLU(pre ⊙ M_aux)    (M: 0/1 masks of the selections, detached)
 *   y       = z · dec + b_pre,    y_aux = z_aux · dec + b_pre
 *   loss    = mseScale · mean((y − x̂)²) + auxkCoef · mean((y_aux − t)²) / mean((t − mean_rows t)²),
 *             t = detach(x̂ − y + b_pre)
 */
import * as tf from '@tensorflow/tfjs';
import { SaeParams } from './sae';

export interface DenseLossInput {
  /** `[rows, d]` input in working space (after LN when the autoencoder normalises) */
  x: Float32Array;
  rows: number;
  d: number;
  n: number;
  k: number;
  /** 0 for no AuxK */
  kAux: number;
  auxkCoef: number;
  mseScale: number;
  /** dead latents (after this step's statistics update) */
  dead: Int32Array;
}

/** The parameters as tfjs variables; the encoder kept `[d, n]` (tfjs-wasm's fast matmul layout). */
export interface DenseVariables {
  preBias: tf.Variable; // [d]
  latentBias: tf.Variable; // [n]
  encoderT: tf.Variable; // [d, n]
  decoder: tf.Variable; // [n, d]
}

export function denseVariables(p: SaeParams, d: number, n: number): DenseVariables {
  return {
    preBias: tf.variable(tf.tensor1d(p.preBias)),
    latentBias: tf.variable(tf.tensor1d(p.latentBias)),
    encoderT: tf.variable(tf.tidy(() => tf.transpose(tf.tensor2d(p.encoder, [n, d])))),
    decoder: tf.variable(tf.tensor2d(p.decoder, [n, d])),
  };
}

/**
 * torch's `.detach()`: the same values in a tensor the gradient tape does not connect to
 * (tfjs has no stopGradient op, and its tape would otherwise ask TopK for a gradient).
 */
const detach = <T extends tf.Tensor>(x: T): T => tf.tensor(x.dataSync(), x.shape, x.dtype) as T;

/** 0/1 mask `[rows, n]` of each row's top-k among the allowed columns (ties at the k-th value all kept). */
function topMask(pre: tf.Tensor2D, k: number, allowed: tf.Tensor | null): tf.Tensor2D {
  return tf.tidy(() => {
    // train.py's AuxK masks non-dead pre-activations to 0 (not −∞) before its top-k
    const candidates = allowed ? tf.mul(pre, allowed) : pre;
    const kth = tf.topk(candidates, k).values.slice([0, k - 1], [-1, 1]);
    const mask = tf.greaterEqual(candidates, kth);
    return (allowed ? tf.logicalAnd(mask, tf.cast(allowed, 'bool')) : mask).toFloat() as tf.Tensor2D;
  });
}

/** The loss as a scalar tensor of the variables (masks computed inside, without gradient). */
export function denseLoss(v: DenseVariables, input: DenseLossInput): tf.Scalar {
  const { rows, d, n, k, kAux, auxkCoef, mseScale } = input;
  const x = tf.tensor2d(input.x, [rows, d]);
  const pre: tf.Tensor2D = tf.add(tf.matMul(tf.sub(x, v.preBias), v.encoderT), v.latentBias) as tf.Tensor2D;
  const preData = detach(pre);
  const mTop = topMask(preData, k, null);
  const y = tf.add(tf.matMul(tf.relu(tf.mul(pre, mTop)), v.decoder), v.preBias);
  const main = tf.mul(mseScale, tf.mean(tf.square(tf.sub(y, x))));
  if (kAux === 0) return main as tf.Scalar;
  const deadMask = tf.tidy(() => tf.scatterND(tf.tensor2d(Array.from(input.dead, (j) => [j]), [input.dead.length, 1], 'int32'), tf.ones([input.dead.length]), [n]));
  const mAux = input.dead.length ? topMask(preData, kAux, deadMask) : tf.zeros([rows, n]);
  const yAux = tf.add(tf.matMul(tf.relu(tf.mul(pre, mAux)), v.decoder), v.preBias);
  const t = detach(tf.add(tf.sub(x, y), v.preBias));
  const denom = tf.mean(tf.square(tf.sub(t, tf.mean(t, 0))));
  const auxLoss = tf.div(tf.mean(tf.square(tf.sub(yAux, t))), denom);
  const safe = tf.where(tf.isNaN(auxLoss), tf.zerosLike(auxLoss), auxLoss); // nan_to_num(0)
  return tf.add(main, tf.mul(auxkCoef, safe)) as tf.Scalar;
}

export interface DenseGradients {
  loss: number;
  /** `[d]`, `[n]`, `[n, d]`, `[n, d]` — latent-major like SaeParams */
  grads: SaeParams;
}

/** tfjs autodiff of {@link denseLoss}, raw (before the decoder adjustment), as arrays. */
export function denseGradients(v: DenseVariables, input: DenseLossInput): DenseGradients {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => denseLoss(v, input), [v.preBias, v.latentBias, v.encoderT, v.decoder]);
    const g = (name: string): Float32Array => grads[name].dataSync() as Float32Array;
    return {
      loss: value.dataSync()[0],
      grads: {
        preBias: g(v.preBias.name),
        latentBias: g(v.latentBias.name),
        encoder: tf.transpose(grads[v.encoderT.name]).dataSync() as Float32Array,
        decoder: g(v.decoder.name),
      },
    };
  });
}

export function disposeDenseVariables(v: DenseVariables): void {
  for (const t of Object.values(v)) t.dispose();
}
