/**
 * The shape of a GPT-2 model: what the forward graph needs from Hugging Face's `config.json`
 * (GPT2Config). Only the original GPT-2 block is built, so options that change its math
 * (`n_inner` other than 4·n_embd, `scale_attn_by_inverse_layer_idx`, `reorder_and_upcast_attn`,
 * unscaled attention) are refused rather than ignored.
 */
import { ExtractError } from '../errors';

/** MLP activations, by their HF `activation_function` names. The three tanh forms are one function. */
export const GPT2_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'gelu', 'relu', 'silu'] as const;
export type Gpt2Activation = (typeof GPT2_ACTIVATIONS)[number];

export interface Gpt2Config {
  /** Transformer blocks (`n_layer`). */
  nLayer: number;
  /** Attention heads per block (`n_head`); divides `nEmbd`. */
  nHead: number;
  /** Residual stream width d_model (`n_embd`); the MLP is 4·nEmbd wide. */
  nEmbd: number;
  /** Learned positions, so the longest context (`n_positions`). */
  nPositions: number;
  /** Token embedding rows, tied to the unembedding (`vocab_size`). */
  vocabSize: number;
  /** LayerNorm ε (`layer_norm_epsilon`). */
  layerNormEpsilon: number;
  /** MLP activation (`activation_function`): `gelu_new` is GPT-2's tanh GELU, `gelu` the exact erf one. */
  activationFunction: Gpt2Activation;
  /** Beginning-of-sequence token (`bos_token_id`), prepended to contexts. */
  bosTokenId: number;
}

/** GPT-2 small (124M), as in its config.json. */
export const defaultGpt2Config: Gpt2Config = {
  nLayer: 12,
  nHead: 12,
  nEmbd: 768,
  nPositions: 1024,
  vocabSize: 50257,
  layerNormEpsilon: 1e-5,
  activationFunction: 'gelu_new',
  bosTokenId: 50256,
};

const bad = (field: string, expected: string, got: unknown): ExtractError =>
  new ExtractError('BAD_MODEL', `config.json '${field}' must be ${expected} but got ${JSON.stringify(got)}`);

const positiveInt = (field: string, v: unknown): number => {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw bad(field, 'a positive integer', v);
  return v as number;
};

/**
 * Checks every field and how they fit together.
 * @throws ExtractError 'BAD_MODEL' naming the field (by its config.json name).
 */
export function validateGpt2Config(c: Gpt2Config): Gpt2Config {
  positiveInt('n_layer', c.nLayer);
  positiveInt('n_head', c.nHead);
  positiveInt('n_embd', c.nEmbd);
  positiveInt('n_positions', c.nPositions);
  positiveInt('vocab_size', c.vocabSize);
  if (c.nEmbd % c.nHead !== 0) throw bad('n_embd', `a multiple of n_head (${c.nHead})`, c.nEmbd);
  if (typeof c.layerNormEpsilon !== 'number' || !(c.layerNormEpsilon > 0)) throw bad('layer_norm_epsilon', 'a positive number', c.layerNormEpsilon);
  if (!GPT2_ACTIVATIONS.includes(c.activationFunction)) throw bad('activation_function', `one of [${GPT2_ACTIVATIONS.join(', ')}]`, c.activationFunction);
  if (!Number.isSafeInteger(c.bosTokenId) || c.bosTokenId < 0 || c.bosTokenId >= c.vocabSize) {
    throw bad('bos_token_id', `an integer in [0, vocab_size ${c.vocabSize})`, c.bosTokenId);
  }
  return c;
}

/**
 * Reads a Hugging Face GPT2Config (`config.json`, parsed).
 * @param json the parsed config.json
 * @throws ExtractError 'BAD_MODEL' naming a missing or invalid field, or an option this graph does not build.
 */
export function gpt2ConfigFromHf(json: unknown): Gpt2Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('(root)', 'a JSON object', json);
  const j = json as Record<string, unknown>;
  if (j.model_type !== undefined && j.model_type !== 'gpt2') throw bad('model_type', `'gpt2'`, j.model_type);
  const nEmbd = positiveInt('n_embd', j.n_embd);
  if (j.n_inner !== undefined && j.n_inner !== null && j.n_inner !== 4 * nEmbd) throw bad('n_inner', `null or 4·n_embd (${4 * nEmbd})`, j.n_inner);
  if (j.scale_attn_weights === false) throw bad('scale_attn_weights', 'true (attention scaled by 1/√d_head)', false);
  for (const flag of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn']) {
    if (j[flag] !== undefined && j[flag] !== false) throw bad(flag, 'false', j[flag]);
  }
  if (typeof j.activation_function !== 'string') throw bad('activation_function', `one of [${GPT2_ACTIVATIONS.join(', ')}]`, j.activation_function);
  return validateGpt2Config({
    nLayer: positiveInt('n_layer', j.n_layer),
    nHead: positiveInt('n_head', j.n_head),
    nEmbd,
    nPositions: positiveInt('n_positions', j.n_positions),
    vocabSize: positiveInt('vocab_size', j.vocab_size),
    layerNormEpsilon: j.layer_norm_epsilon as number,
    activationFunction: j.activation_function as Gpt2Activation,
    bosTokenId: j.bos_token_id as number,
  });
}
