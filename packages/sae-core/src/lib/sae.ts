/**
 * What an autoencoder is, as data: its shape and activation (the spec), its parameters in the
 * layouts the sparse kernels read, and where it came from (meta).
 *
 *   latents = activation(encoder · (x − pre_bias) + latent_bias)        (OpenAI's Autoencoder)
 *   recons  = decoder · latents + pre_bias
 *
 * Both weight matrices are stored latent-major, `[nLatents, dIn]`, so that one latent's
 * encoder row and decoder column are each one contiguous run of `dIn` floats: OpenAI's
 * `encoder.weight` as it is, OpenAI's `decoder.weight [dIn, nLatents]` transposed
 * (= SAELens `W_dec [d_sae, d_in]`).
 */
import { SaeError } from './errors';

export const ACTIVATIONS = ['topk', 'relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Shape and activation of an autoencoder. */
export interface SaeSpec {
  /** Input width (the model's d_model at the hook). */
  dIn: number;
  /** Number of latents (OpenAI `n_latents`, SAELens `d_sae`). */
  nLatents: number;
  /** `topk`: keep the k largest pre-activations, then ReLU; `relu`: ReLU everywhere. */
  activation: Activation;
  /** Latents kept per row for `topk` (ignored for `relu`). */
  k: number;
  /** OpenAI input LayerNorm: x → (x − mean) / (std_unbiased + 1e-5); decode multiplies back. */
  normalize: boolean;
}

/** Trainable parameters, latent-major (see the file comment). */
export interface SaeParams {
  /** `[dIn]` */
  preBias: Float32Array;
  /** `[nLatents]` */
  latentBias: Float32Array;
  /** `[nLatents, dIn]` — OpenAI `encoder.weight`; SAELens `W_enc` transposed. */
  encoder: Float32Array;
  /** `[nLatents, dIn]` — SAELens `W_dec`; OpenAI `decoder.weight` transposed. */
  decoder: Float32Array;
}

/** Where the autoencoder's inputs come from (SAELens cfg fields); all optional. */
export interface SaeMeta {
  modelName?: string;
  hookName?: string;
  contextSize?: number;
  prependBos?: boolean;
  datasetPath?: string;
}

export interface Sae {
  spec: SaeSpec;
  params: SaeParams;
  meta: SaeMeta;
}

/** Checks a spec's fields and that k < nLatents; throws SaeError('BAD_ARGUMENT') naming the field. */
export function validateSaeSpec(spec: SaeSpec): SaeSpec {
  const { dIn, nLatents, k, activation } = spec;
  if (!Number.isInteger(dIn) || dIn < 1) throw new SaeError('BAD_ARGUMENT', `'dIn' must be a positive integer but got ${dIn}`);
  if (!Number.isInteger(nLatents) || nLatents < 1) throw new SaeError('BAD_ARGUMENT', `'nLatents' must be a positive integer but got ${nLatents}`);
  if (!ACTIVATIONS.includes(activation)) throw new SaeError('BAD_ARGUMENT', `'activation' must be one of [${ACTIVATIONS.join(', ')}] but got '${activation}'`);
  if (activation === 'topk' && (!Number.isInteger(k) || k < 1 || k >= nLatents)) {
    throw new SaeError('BAD_ARGUMENT', `'k' must be an integer in [1, nLatents) = [1, ${nLatents}) but got ${k}`);
  }
  return spec;
}

/** Checks that every parameter has the length the spec implies. */
export function validateSae(sae: Sae): Sae {
  const { dIn, nLatents } = validateSaeSpec(sae.spec);
  const want: Record<keyof SaeParams, number> = { preBias: dIn, latentBias: nLatents, encoder: nLatents * dIn, decoder: nLatents * dIn };
  for (const [name, length] of Object.entries(want) as [keyof SaeParams, number][]) {
    const got = sae.params[name];
    if (!(got instanceof Float32Array) || got.length !== length) {
      throw new SaeError('BAD_ARGUMENT', `parameter '${name}' must be a Float32Array of ${length} values for dIn=${dIn}, nLatents=${nLatents} but got ${got instanceof Float32Array ? got.length : typeof got}`);
    }
  }
  return sae;
}

/** Zero parameters of a spec's shape. */
export function zeroParams(spec: SaeSpec): SaeParams {
  const { dIn, nLatents } = spec;
  return { preBias: new Float32Array(dIn), latentBias: new Float32Array(nLatents), encoder: new Float32Array(nLatents * dIn), decoder: new Float32Array(nLatents * dIn) };
}
