/**
 * A GPT-2 model directory in Hugging Face layout, read into memory:
 *
 *   DIR/config.json        GPT2Config (n_layer, n_head, n_embd, vocab_size, ...), kept as parsed JSON
 *   DIR/model.safetensors  the weights, HF names (`wte.weight`, `h.{i}.attn.c_attn.weight` [in,out], ...)
 *   DIR/tokenizer.json     the tokenizer (read later by `loadTokenizer`; here only its path)
 *
 * Names are normalised to the bare HF GPT2Model names: a `transformer.` prefix (GPT2LMHeadModel
 * files) is stripped; the causal-mask buffers `h.{i}.attn.bias` / `h.{i}.attn.masked_bias` are
 * dropped; `lm_head.weight` is dropped when it equals `wte.weight` (tied, as in every released
 * GPT-2) and kept otherwise. F16 and BF16 weights are widened to F32. Checking the shapes
 * against the config is the graph builder's job; here only `wte.weight` must exist.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readSafetensors, toFloat32, type Tensor } from '@saestream/io';
import { ExtractError } from '../errors';

/** The files a model directory must hold, in the order they are read. */
export const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;

export interface LoadedModel {
  /** The directory, absolute. */
  dir: string;
  /** config.json as parsed (an object). */
  configJson: Record<string, unknown>;
  /** Every weight as F32 under its bare HF name (no `transformer.` prefix, no mask buffers). */
  weights: Map<string, Tensor>;
  /** Absolute path of tokenizer.json. */
  tokenizerFile: string;
}

const isFile = async (path: string): Promise<boolean> => (await stat(path).catch(() => undefined))?.isFile() ?? false;

/** The files of `MODEL_FILES` that `dir` lacks (empty when complete). */
export async function missingModelFiles(dir: string): Promise<string[]> {
  const present = await Promise.all(MODEL_FILES.map((f) => isFile(join(dir, f))));
  return MODEL_FILES.filter((_, i) => !present[i]);
}

/**
 * Reads a Hugging Face GPT-2 directory.
 * @param dir a directory holding config.json, model.safetensors and tokenizer.json
 * @throws ExtractError 'MODEL_NOT_FOUND' when the directory or one of its files is missing (all named);
 *   'BAD_MODEL' when config.json is not a JSON object, the safetensors file does not parse
 *   (the io error is the cause), a weight is not a float tensor, or `wte.weight` is absent.
 */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const abs = resolve(dir);
  if (!(await stat(abs).catch(() => undefined))?.isDirectory()) {
    throw new ExtractError('MODEL_NOT_FOUND', `model directory '${abs}' does not exist; expected a directory holding ${MODEL_FILES.join(', ')}`);
  }
  const missing = await missingModelFiles(abs);
  if (missing.length > 0) {
    const hint = missing.includes('model.safetensors') && (await isFile(join(abs, 'pytorch_model.bin'))) ? ' (pytorch_model.bin is not read: convert it to model.safetensors)' : '';
    throw new ExtractError(
      'MODEL_NOT_FOUND',
      `model directory '${abs}' lacks ${missing.join(', ')}${hint}; a Hugging Face GPT-2 directory needs ${MODEL_FILES.join(', ')}`,
    );
  }
  const configJson = await readConfig(join(abs, 'config.json'));
  const weights = await readWeights(join(abs, 'model.safetensors'));
  return { dir: abs, configJson, weights, tokenizerFile: join(abs, 'tokenizer.json') };
}

async function readConfig(file: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new ExtractError('BAD_MODEL', `config.json is not valid JSON: ${(cause as Error).message} (${file})`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ExtractError('BAD_MODEL', `config.json must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)} (${file})`);
  }
  return parsed as Record<string, unknown>;
}

/** `h.3.attn.bias` and `h.3.attn.masked_bias` are causal-mask buffers, not weights (`attn.c_attn.bias` is a weight). */
const isMaskBuffer = (name: string): boolean => /(^|\.)attn\.(bias|masked_bias)$/.test(name);

async function readWeights(file: string): Promise<Map<string, Tensor>> {
  let tensors: Map<string, Tensor>;
  try {
    tensors = (await readSafetensors(file)).tensors;
  } catch (cause) {
    throw new ExtractError('BAD_MODEL', `cannot read the weights: ${(cause as Error).message}`, { cause });
  }
  const weights = new Map<string, Tensor>();
  for (const [rawName, tensor] of tensors) {
    const name = rawName.startsWith('transformer.') ? rawName.slice('transformer.'.length) : rawName;
    if (isMaskBuffer(name)) continue;
    if (tensor.dtype !== 'F32' && tensor.dtype !== 'F16' && tensor.dtype !== 'BF16') {
      throw new ExtractError('BAD_MODEL', `tensor '${rawName}' has dtype ${tensor.dtype}; weights must be F32, F16 or BF16 (${file})`);
    }
    if (weights.has(name)) throw new ExtractError('BAD_MODEL', `tensor '${name}' appears twice (with and without the 'transformer.' prefix) (${file})`);
    weights.set(name, { dtype: 'F32', shape: tensor.shape, data: toFloat32(tensor) });
  }
  const wte = weights.get('wte.weight');
  if (wte === undefined) {
    const some = [...weights.keys()].slice(0, 5).join(', ');
    throw new ExtractError('BAD_MODEL', `tensor 'wte.weight' (or 'transformer.wte.weight') is missing; found ${weights.size} tensors: ${some}${weights.size > 5 ? ', ...' : ''} (${file})`);
  }
  const head = weights.get('lm_head.weight');
  if (head !== undefined && sameValues(head, wte)) weights.delete('lm_head.weight'); // tied: the unembedding is wteᵀ
  return weights;
}

function sameValues(a: Tensor, b: Tensor): boolean {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
