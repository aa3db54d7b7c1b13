/**
 * SAELens's `cfg.json`: the spec and metadata of a {@link Sae}, both ways.
 *
 * We write the flat layout of SAELens < 6 (model_name, hook_name, ... at the top level; TopK's k
 * also as `activation_fn_kwargs.k`). SAELens 6 reads it through `handle_pre_6_0_config` (taken
 * because there is no `sae_lens_version`), which moves those fields under `meta` and takes k from
 * `activation_fn_kwargs`. On import we also accept SAELens 6's own layout (`k` at the top,
 * metadata under `meta` or `metadata`) and SAELens 5's TopK (`architecture: "standard"` with
 * `activation_fn_str: "topk"`).
 *
 * normalize ↔ normalize_activations. SAELens's "layer_norm" (sae.py
 * `run_time_activation_ln_in/out`) is mu = mean(x), std = (x − mu).std() (unbiased),
 * x̂ = (x − mu) / (std + 1e-5), and decode recons·std + mu: the same formula as OpenAI's `LN`
 * (model.py), and SAELens loads OpenAI's GPT-2 TopK autoencoders with it. So normalize = true is
 * written as "layer_norm" and false as "none". Our own flag also goes, exactly, into
 * `saestream: {normalize_openai, version: 1}` (SAELens drops keys it does not know); on import
 * that record wins over normalize_activations when present, so a file saestream wrote reads back
 * as written whatever another tool makes of normalize_activations.
 */
import type { Activation, SaeMeta, SaeSpec } from '../sae';
import { stateDictError } from './param-tensors';

/** SAELens architectures saestream reads, and the activation each means. */
export const SAELENS_ARCHITECTURES: Record<string, Activation> = { topk: 'topk', standard: 'relu' };

/** SAELens `normalize_activations` values saestream reads, and the `normalize` each means. */
export const SAELENS_NORMALIZE: Record<string, boolean> = { layer_norm: true, none: false };

/** The cfg.json saestream writes (see the file comment); SAELens reads it as is. */
export interface SaeLensCfg {
  /** `topk` (k kept per row, then ReLU) or `standard` (ReLU everywhere). */
  architecture: 'topk' | 'standard';
  /** Input width (saestream `dIn`). */
  d_in: number;
  /** Number of latents (saestream `nLatents`). */
  d_sae: number;
  /** Latents kept per row; topk only. */
  k?: number;
  /** k again, where SAELens < 6 (and 6 reading a flat cfg) looks for it; topk only. */
  activation_fn_kwargs?: { k: number };
  /** `layer_norm` when the input is normalized (OpenAI's LN; see the file comment), else `none`. */
  normalize_activations: 'layer_norm' | 'none';
  /** b_dec is subtracted from the input before encoding, as OpenAI's pre_bias: always true here. */
  apply_b_dec_to_input: true;
  dtype: 'float32';
  device: 'cpu';
  model_name?: string;
  hook_name?: string;
  context_size?: number;
  prepend_bos?: boolean;
  dataset_path?: string;
  /** saestream's own record: `normalize_openai` is {@link SaeSpec.normalize}, exactly. */
  saestream: { normalize_openai: boolean; version: 1 };
}

/** The object without its undefined fields (metadata that is not known is left out of the file). */
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The cfg.json for a spec and its metadata. */
export function saeLensCfg(spec: SaeSpec, meta: SaeMeta): SaeLensCfg {
  const topk = spec.activation === 'topk';
  return {
    architecture: topk ? 'topk' : 'standard',
    d_in: spec.dIn,
    d_sae: spec.nLatents,
    ...(topk ? { k: spec.k, activation_fn_kwargs: { k: spec.k } } : {}),
    normalize_activations: spec.normalize ? 'layer_norm' : 'none',
    apply_b_dec_to_input: true,
    dtype: 'float32',
    device: 'cpu',
    ...defined({
      model_name: meta.modelName,
      hook_name: meta.hookName,
      context_size: meta.contextSize,
      prepend_bos: meta.prependBos,
      dataset_path: meta.datasetPath,
    }),
    saestream: { normalize_openai: spec.normalize, version: 1 },
  };
}

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const show = (x: unknown): string => JSON.stringify(x) ?? String(x);
const choices = (table: object): string => `[${Object.keys(table).join(', ')}]`;

/**
 * The spec and metadata a parsed cfg.json describes (the tensors' shapes are checked later).
 * @throws SaeError 'BAD_STATE_DICT' naming the field, what it must be, what it is, and the choices
 */
export function readSaeLensCfg(cfg: unknown, file?: string): { spec: SaeSpec; meta: SaeMeta } {
  const bad = (message: string) => stateDictError(`cfg.json ${message}`, file);
  if (!isObject(cfg)) throw bad(`must be a JSON object but got ${show(cfg)}`);
  // A field at the top level, else under SAELens 6's `meta` / `metadata`; null counts as absent.
  const nests = [cfg, cfg.meta, cfg.metadata].filter(isObject);
  const field = (key: string): unknown => nests.map((o) => o[key]).find((v) => v !== undefined && v !== null);
  const typed = <T>(key: string, what: string, ok: (v: unknown) => boolean): T | undefined => {
    const value = field(key);
    if (value !== undefined && !ok(value)) throw bad(`'${key}' must be ${what} but got ${show(value)}`);
    return value as T | undefined;
  };
  const count = (key: string) => typed<number>(key, 'a positive integer', (v) => Number.isSafeInteger(v) && (v as number) > 0);

  const dIn = count('d_in');
  const nLatents = count('d_sae');
  if (dIn === undefined || nLatents === undefined) throw bad(`lacks '${dIn === undefined ? 'd_in' : 'd_sae'}' (a positive integer)`);
  const activation = readActivation(field, bad);
  const k = activation === 'topk' ? readK(field, bad) : 0;
  if (field('apply_b_dec_to_input') === false) {
    throw bad(`'apply_b_dec_to_input' must be true (saestream always subtracts b_dec from the input, as OpenAI's pre_bias) but got false`);
  }
  const normalize = readNormalize(cfg.saestream, field('normalize_activations'), bad);

  const meta: SaeMeta = defined({
    modelName: typed<string>('model_name', 'a string', (v) => typeof v === 'string'),
    hookName: typed<string>('hook_name', 'a string', (v) => typeof v === 'string'),
    contextSize: count('context_size'),
    prependBos: typed<boolean>('prepend_bos', 'true or false', (v) => typeof v === 'boolean'),
    datasetPath: typed<string>('dataset_path', 'a string', (v) => typeof v === 'string'),
  });
  return { spec: { dIn, nLatents, activation, k, normalize }, meta };
}

type Field = (key: string) => unknown;
type Bad = (message: string) => Error;

/** `architecture`; `standard` with `activation_fn_str` (or 6's `activation_fn`) `topk` is SAELens 5's TopK. */
function readActivation(field: Field, bad: Bad): Activation {
  const architecture = field('architecture') ?? 'standard'; // SAELens's default
  if (typeof architecture !== 'string' || !Object.hasOwn(SAELENS_ARCHITECTURES, architecture)) {
    throw bad(`'architecture' must be one of ${choices(SAELENS_ARCHITECTURES)} but got ${show(architecture)}`);
  }
  if (architecture === 'topk') return 'topk';
  const fn = field('activation_fn_str') ?? field('activation_fn') ?? 'relu';
  if (fn !== 'relu' && fn !== 'topk') throw bad(`'activation_fn_str' must be one of [relu, topk] for architecture 'standard' but got ${show(fn)}`);
  return fn;
}

/** k from `k` or `activation_fn_kwargs.k`; both present must agree. */
function readK(field: Field, bad: Bad): number {
  const kwargs = field('activation_fn_kwargs');
  const nested = isObject(kwargs) ? kwargs.k : undefined;
  const top = field('k');
  if (top !== undefined && nested !== undefined && top !== nested) throw bad(`'k' is ${show(top)} but 'activation_fn_kwargs.k' is ${show(nested)}; they must agree`);
  const k = top ?? nested;
  if (k === undefined) throw bad(`lacks 'k' (or 'activation_fn_kwargs.k'): a topk autoencoder needs its k`);
  if (!Number.isSafeInteger(k)) throw bad(`'k' must be an integer but got ${show(k)}`);
  return k as number;
}

/** saestream's exact record when present, else SAELens's normalize_activations (absent: none). */
function readNormalize(record: unknown, normalizeActivations: unknown, bad: Bad): boolean {
  if (record !== undefined) {
    if (!isObject(record) || record.version !== 1 || typeof record.normalize_openai !== 'boolean') {
      throw bad(`'saestream' must be {"normalize_openai": true|false, "version": 1} but got ${show(record)}`);
    }
    return record.normalize_openai;
  }
  if (normalizeActivations === false) return false; // SAELens < 3 wrote a boolean; false meant none
  const value = normalizeActivations ?? 'none';
  if (typeof value !== 'string' || !Object.hasOwn(SAELENS_NORMALIZE, value)) {
    throw bad(`'normalize_activations' must be one of ${choices(SAELENS_NORMALIZE)} (saestream implements no other) but got ${show(value)}`);
  }
  return SAELENS_NORMALIZE[value];
}
