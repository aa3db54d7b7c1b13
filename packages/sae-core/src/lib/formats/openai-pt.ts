/**
 * OpenAI `sparse_autoencoder` checkpoints (`torch.save(ae.state_dict())`, as released for GPT-2
 * small) read into a {@link Sae}. `Autoencoder.state_dict()` writes, for n latents over d inputs:
 *
 *   pre_bias [d]    latent_bias [n]    encoder.weight [n, d]    decoder.weight [d, n]
 *   stats_last_nonzero I64 [n], latents_activation_frequency [n], latents_mean_square [n]
 *   activation = "TopK" | "ReLU"    activation_state_dict = {k, postact_fn}
 *   activation.k, activation.postact_fn   (the TopK module's own entries, same values)
 *
 * Mapping: preBias = pre_bias, latentBias = latent_bias, encoder = encoder.weight (already
 * latent-major), decoder = decoder.weightᵀ. The three statistics are training state and are
 * not read.
 *
 * `normalize` (the input LayerNorm) is not in the file. OpenAI's `Autoencoder.from_state_dict`
 * sets `normalize = activation == "TopK"`; we default the same way and say so in `notes`.
 */
import { parseTorchStateDict, type TorchStateDict } from '@saestream/io';
import type { Activation, Sae } from '../sae';
import { floatParam, floatValues, matrixShape, shapeText, stateDictError, transpose, validateLoaded } from './param-tensors';

export interface OpenAiPtOptions {
  /** Whether the autoencoder normalizes its input (OpenAI `LN`). Default: true for TopK, false for ReLU, as OpenAI's loader. */
  normalize?: boolean;
  /** The file the state dict came from, for messages. */
  file?: string;
}

/** An autoencoder read from a file, and what the reader assumed on the way (one sentence each). */
export interface LoadedSae {
  sae: Sae;
  notes: string[];
}

/** OpenAI activation class names (`ACTIVATIONS_CLASSES`) that saestream implements. */
const ACTIVATION_NAMES: Record<string, Activation> = { TopK: 'topk', ReLU: 'relu' };

/** JSON for messages; a pickled large int (bigint) shows as `123n`. */
const show = (x: unknown): string => JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(x);

/**
 * The autoencoder in an OpenAI state dict, as `parseTorchStateDict` returns it.
 * @throws SaeError 'BAD_STATE_DICT' naming the key, what it must be and what it is
 */
export function saeFromOpenAiStateDict(dict: TorchStateDict, options: OpenAiPtOptions = {}): LoadedSae {
  const { file } = options;
  const notes: string[] = [];
  const { activation, k } = readActivation(dict.values, notes, file);

  const [nLatents, dIn] = matrixShape(dict.tensors, 'encoder.weight', '[nLatents, dIn]', file);
  const from = `from encoder.weight ${shapeText([nLatents, dIn])}`;
  const decoderDn = floatValues(dict.tensors, 'decoder.weight', [dIn, nLatents], `[dIn, nLatents] ${from}`, file); // [dIn, nLatents]
  const params = {
    preBias: floatParam(dict.tensors, 'pre_bias', [dIn], `[dIn] ${from}`, file), // [dIn]
    latentBias: floatParam(dict.tensors, 'latent_bias', [nLatents], `[nLatents] ${from}`, file), // [nLatents]
    encoder: floatParam(dict.tensors, 'encoder.weight', [nLatents, dIn], '[nLatents, dIn]', file), // [nLatents, dIn]
    decoder: transpose(decoderDn, dIn, nLatents), // [nLatents, dIn]
  };

  const normalize = options.normalize ?? activation === 'topk';
  if (options.normalize === undefined) notes.push(normalizeNote(activation, normalize));
  const sae = validateLoaded({ spec: { dIn, nLatents, activation, k, normalize }, params, meta: {} }, file);
  return { sae, notes };
}

/** {@link saeFromOpenAiStateDict} of a `.pt` file's bytes; io's parse errors (IoError) pass through. */
export function saeFromOpenAiPt(bytes: Uint8Array, options: OpenAiPtOptions = {}): LoadedSae {
  return saeFromOpenAiStateDict(parseTorchStateDict(bytes, options.file), options);
}

function normalizeNote(activation: Activation, normalize: boolean): string {
  const kind = activation === 'topk' ? 'TopK' : 'ReLU';
  return (
    `the file does not record normalize; assumed ${normalize} as OpenAI's loader does for ${kind} autoencoders; ` +
    `pass normalize=${!normalize} if this one was trained ${normalize ? 'without' : 'with'} the input LayerNorm`
  );
}

/** The activation and k, from `activation` and `activation_state_dict` (or `activation.*`). */
function readActivation(values: Map<string, unknown>, notes: string[], file?: string): { activation: Activation; k: number } {
  const name = values.get('activation');
  if (name === undefined) {
    notes.push(`the file has no 'activation' entry; read as ReLU, as OpenAI's loader does`);
    return { activation: 'relu', k: 0 };
  }
  const activation = typeof name === 'string' && Object.hasOwn(ACTIVATION_NAMES, name) ? ACTIVATION_NAMES[name] : undefined;
  if (!activation) throw stateDictError(`'activation' must be one of [${Object.keys(ACTIVATION_NAMES).join(', ')}] but got ${show(name)}`, file);
  if (activation === 'relu') return { activation, k: 0 };

  const nested = values.get('activation_state_dict');
  if (nested !== undefined && !(nested instanceof Map)) {
    throw stateDictError(`'activation_state_dict' must be a dict {k, postact_fn} but got ${show(nested)}`, file);
  }
  const k = topkEntry('k', nested, values, file);
  if (k === undefined) throw stateDictError(`missing 'activation_state_dict.k' (or 'activation.k'): a TopK autoencoder needs its k`, file);
  const kInt = typeof k === 'bigint' ? Number(k) : k;
  if (typeof kInt !== 'number' || !Number.isSafeInteger(kInt)) throw stateDictError(`'activation_state_dict.k' must be an integer but got ${show(k)}`, file);
  // TopK's default post-activation is ReLU; saestream implements no other (OpenAI also has Identity).
  const postact = topkEntry('postact_fn', nested, values, file) ?? 'ReLU';
  if (postact !== 'ReLU') throw stateDictError(`'activation_state_dict.postact_fn' must be 'ReLU' (the only one saestream implements) but got ${show(postact)}`, file);
  return { activation, k: kInt };
}

/** `activation_state_dict[key]`, else `activation.<key>`; both present must agree. */
function topkEntry(key: string, nested: Map<unknown, unknown> | undefined, values: Map<string, unknown>, file?: string): unknown {
  const inner = nested?.get(key);
  const outer = values.get(`activation.${key}`);
  if (inner !== undefined && outer !== undefined && inner !== outer) {
    throw stateDictError(`'activation_state_dict.${key}' is ${show(inner)} but 'activation.${key}' is ${show(outer)}; they must agree`, file);
  }
  return inner ?? outer;
}
