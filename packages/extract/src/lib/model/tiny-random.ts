/**
 * A seeded, untrained GPT-2 in Hugging Face layout, for tests and offline runs: same seed, same
 * bytes. The shape of GPT-2 small with the width cut down, and GPT-2's real tokenizer:
 *
 *   config.json        GPT2Config: n_layer 2, n_head 2, n_embd 64, n_positions 1024,
 *                      vocab_size 50257, gelu_new, layer_norm_epsilon 1e-5, bos = eos = 50256,
 *                      plus `saestream_tiny_random: { seed, version }`
 *   model.safetensors  28 F32 tensors with HF names (no `transformer.` prefix, no lm_head: tied):
 *                      wte [50257,64], wpe [1024,64], h.{i}.ln_1/ln_2 weight+bias [64],
 *                      attn.c_attn [64,192], attn.c_proj [64,64], mlp.c_fc [64,256],
 *                      mlp.c_proj [256,64] (Conv1D: [in,out]) + biases, ln_f weight+bias
 *   tokenizer.json     `gpt2TokenizerJson()`
 *
 * Init as Hugging Face's `GPT2PreTrainedModel._init_weights`: weights ~ N(0, 0.02), residual
 * projections (`c_proj`) ~ N(0, 0.02/√(2·n_layer)); but biases ~ N(0, 0.02) and LayerNorm
 * weights ~ 1 + N(0, 0.05), biases ~ N(0, 0.02) instead of exact zeros and ones, so that a
 * dropped bias or LN parameter changes the output. All values come in the order listed above
 * from one `seededNormal(seed)` stream.
 *
 * The cache copy lives in `<hub cache>/saestream--tiny-random-<seed>/`, written into a temporary
 * directory and renamed, so a reader never sees half a model.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensors, type Tensor } from '@saestream/io';
import { ExtractError } from '../errors';
import { missingModelFiles } from './model-dir';
import { seededNormal } from './seeded-normal';
import { gpt2TokenizerJson } from './tokenizer';

/** Bumped whenever the bytes written for a seed change, so stale cache copies are rewritten. */
export const TINY_RANDOM_VERSION = 1;

const N_LAYER = 2;
const N_HEAD = 2;
const N_EMBD = 64;
const N_POSITIONS = 1024;
const VOCAB = 50257;
const EOT = 50256;

/** The config.json of the tiny model for `seed`. */
export function tinyRandomConfig(seed: number): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: VOCAB,
    n_positions: N_POSITIONS,
    n_ctx: N_POSITIONS,
    n_embd: N_EMBD,
    n_layer: N_LAYER,
    n_head: N_HEAD,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    resid_pdrop: 0.0,
    embd_pdrop: 0.0,
    attn_pdrop: 0.0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    bos_token_id: EOT,
    eos_token_id: EOT,
    torch_dtype: 'float32',
    saestream_tiny_random: { seed, version: TINY_RANDOM_VERSION },
  };
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ExtractError('BAD_ARGUMENT', `tiny-random seed must be an integer in [0, 4294967295] but got ${seed}`);
  }
}

/** The weights for `seed`, in the documented draw order. */
export function tinyRandomWeights(seed: number): Map<string, Tensor> {
  checkSeed(seed);
  const normal = seededNormal(seed);
  const weights = new Map<string, Tensor>();
  const add = (name: string, shape: number[], mean: number, std: number): void => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * normal();
    weights.set(name, { dtype: 'F32', shape, data });
  };
  const residStd = 0.02 / Math.sqrt(2 * N_LAYER); // GPT-2 paper §2.3: residual layers scaled by 1/√N
  const layerNorm = (prefix: string): void => {
    add(`${prefix}.weight`, [N_EMBD], 1, 0.05);
    add(`${prefix}.bias`, [N_EMBD], 0, 0.02);
  };
  const conv1d = (prefix: string, nIn: number, nOut: number, std: number): void => {
    add(`${prefix}.weight`, [nIn, nOut], 0, std);
    add(`${prefix}.bias`, [nOut], 0, 0.02);
  };
  add('wte.weight', [VOCAB, N_EMBD], 0, 0.02);
  add('wpe.weight', [N_POSITIONS, N_EMBD], 0, 0.02);
  for (let i = 0; i < N_LAYER; i++) {
    layerNorm(`h.${i}.ln_1`);
    conv1d(`h.${i}.attn.c_attn`, N_EMBD, 3 * N_EMBD, 0.02);
    conv1d(`h.${i}.attn.c_proj`, N_EMBD, N_EMBD, residStd);
    layerNorm(`h.${i}.ln_2`);
    conv1d(`h.${i}.mlp.c_fc`, N_EMBD, 4 * N_EMBD, 0.02);
    conv1d(`h.${i}.mlp.c_proj`, 4 * N_EMBD, N_EMBD, residStd);
  }
  layerNorm('ln_f');
  return weights;
}

/**
 * Writes the tiny model for `seed` into `dir` (created if needed): config.json,
 * model.safetensors, tokenizer.json. The same seed always gives the same bytes.
 */
export async function writeTinyRandom(dir: string, seed = 0): Promise<void> {
  checkSeed(seed);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(tinyRandomConfig(seed), null, 2) + '\n');
  await writeSafetensors(join(dir, 'model.safetensors'), tinyRandomWeights(seed), { format: 'pt' });
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(gpt2TokenizerJson()));
}

async function isCurrent(dir: string, seed: number): Promise<boolean> {
  if ((await missingModelFiles(dir)).length > 0) return false;
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { saestream_tiny_random?: { seed?: unknown; version?: unknown } };
    return config.saestream_tiny_random?.seed === seed && config.saestream_tiny_random?.version === TINY_RANDOM_VERSION;
  } catch {
    return false;
  }
}

/**
 * The cached tiny model for `seed` under `cacheDir` (`saestream--tiny-random-<seed>`), written
 * first if absent or from an older version. Concurrent callers each write a temporary copy;
 * the first rename wins and the others discard theirs.
 * @returns the model directory
 */
export async function ensureTinyRandom(cacheDir: string, seed = 0): Promise<string> {
  checkSeed(seed);
  const dir = join(cacheDir, `saestream--tiny-random-${seed}`);
  if (await isCurrent(dir, seed)) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeTinyRandom(tmp, seed);
    if (await isCurrent(dir, seed)) return dir; // another process finished first
    await rm(dir, { recursive: true, force: true }); // a stale or partial copy
    await rename(tmp, dir);
  } catch (cause) {
    if (!(await isCurrent(dir, seed))) {
      const why = `cannot write the tiny-random model into '${dir}': ${(cause as Error).message}`;
      throw new ExtractError('MODEL_NOT_FOUND', `${why}; set HF_HUB_CACHE to a writable directory`, { cause });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}
