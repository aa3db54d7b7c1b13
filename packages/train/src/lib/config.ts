/**
 * What a training run is: the autoencoder's shape, OpenAI's training constants, the data
 * order, and how often to evaluate and checkpoint. Defaults follow OpenAI's GPT-2 small SAEs
 * (Gao et al. 2024; DESIGN.md "Defaults"): TopK k = 32, AuxK k_aux = 512 with coefficient 1/32,
 * dead after 10M tokens, Adam eps 6.25e-10, lr 2e-4 / √(n / 2¹⁴), batch 4096 tokens.
 */
import { defaultLr } from '@saestream/sae-core';
import { TrainError } from './errors';

export interface TrainConfig {
  /** Number of latents (OpenAI n_latents, SAELens d_sae). */
  latents: number;
  /** Latents kept per token. */
  k: number;
  /**
   * AuxK latents per token (0 turns AuxK off); null → the power of two nearest d_model / 2, as
   * Gao et al. 2024 §2.4 choose (512 for GPT-2 small's 768), kept below `latents`.
   */
  kAux: number | null;
  /** Weight of the AuxK loss. */
  auxkCoef: number;
  /** Tokens without firing (> 1e-3) after which a latent is dead. */
  deadTokens: number;
  /** OpenAI input LayerNorm on the activations (its released TopK SAEs use it). */
  normalize: boolean;
  /** Tokens per optimiser step. */
  batch: number;
  /** Learning rate; null → 2e-4 / √(latents / 2¹⁴). */
  lr: number | null;
  /** Steps of linear warmup from 0 to lr (0 for none). */
  warmupSteps: number;
  /** Clip the global gradient norm to this (null for none). */
  clipGradNorm: number | null;
  /** Keep an EMA of the parameters with this decay and export it (null for none). */
  emaDecay: number | null;
  /** Stop after this many training tokens; null → one pass over the data. */
  maxTokens: number | null;
  /** Seeds the initialisation and the shuffle. */
  seed: number;
  /** Rows in the seeded shuffle buffer. */
  shuffleBufferRows: number;
  /** Rows for the geometric-median init and mse_scale (OpenAI: 32768). */
  initRows: number;
  /** Rows held out from training for evaluation (the first rows of the shuffled stream). */
  evalRows: number;
  /** Evaluate on the held-out rows every this many steps (0: only at the end). */
  evalEvery: number;
  /** Checkpoint every this many training tokens (and always at the end). */
  checkpointEveryTokens: number;
}

export const defaultTrainConfig: TrainConfig = {
  latents: 16384,
  k: 32,
  kAux: null,
  auxkCoef: 1 / 32,
  deadTokens: 10_000_000,
  normalize: true,
  batch: 4096,
  lr: null,
  warmupSteps: 0,
  clipGradNorm: null,
  emaDecay: null,
  maxTokens: null,
  seed: 0,
  shuffleBufferRows: 65536,
  initRows: 32768,
  evalRows: 4096,
  evalEvery: 100,
  checkpointEveryTokens: 1_000_000,
};

const positiveInt = ['latents', 'k', 'batch', 'shuffleBufferRows', 'initRows', 'checkpointEveryTokens'] as const;
const nonNegativeInt = ['warmupSteps', 'evalRows', 'evalEvery', 'seed'] as const;

/** Fills defaults and checks every field; throws TrainError('BAD_ARGUMENT') naming the field. */
export function validateTrainConfig(config: Partial<TrainConfig>): TrainConfig {
  const unknown = Object.keys(config).filter((key) => !(key in defaultTrainConfig));
  if (unknown.length) throw new TrainError('BAD_ARGUMENT', `unknown train config field '${unknown[0]}'; the fields are [${Object.keys(defaultTrainConfig).join(', ')}]`);
  const c: TrainConfig = { ...defaultTrainConfig, ...config };
  const bad = (field: string, want: string): never => {
    throw new TrainError('BAD_ARGUMENT', `'${field}' must be ${want} but got ${JSON.stringify((c as unknown as Record<string, unknown>)[field])}`);
  };
  for (const f of positiveInt) if (!Number.isInteger(c[f]) || c[f] < 1) bad(f, 'a positive integer');
  for (const f of nonNegativeInt) if (!Number.isInteger(c[f]) || c[f] < 0) bad(f, 'a non-negative integer');
  if (c.k >= c.latents) bad('k', `less than latents (${c.latents})`);
  if (c.kAux !== null && (!Number.isInteger(c.kAux) || c.kAux < 0 || c.kAux >= c.latents)) bad('kAux', `an integer in [0, latents) = [0, ${c.latents}) or null (for the power of two nearest d_model/2)`);
  if (!(c.auxkCoef >= 0)) bad('auxkCoef', 'a non-negative number');
  if (!(c.deadTokens > 0)) bad('deadTokens', 'a positive number');
  if (typeof c.normalize !== 'boolean') bad('normalize', 'true or false');
  if (c.lr !== null && !(c.lr > 0 && Number.isFinite(c.lr))) bad('lr', 'a positive number or null (for 2e-4/√(latents/2^14))');
  if (c.clipGradNorm !== null && !(c.clipGradNorm > 0)) bad('clipGradNorm', 'a positive number or null');
  if (c.emaDecay !== null && !(c.emaDecay > 0 && c.emaDecay < 1)) bad('emaDecay', 'in (0, 1) or null');
  if (c.maxTokens !== null && !(Number.isInteger(c.maxTokens) && c.maxTokens > 0)) bad('maxTokens', 'a positive integer or null (one pass)');
  return c;
}

/** k_aux for a model width: the configured value, or the power of two nearest d_model / 2 below latents. */
export function kAuxFor(c: TrainConfig, dModel: number): number {
  if (c.kAux !== null) return c.kAux;
  const nearest = 2 ** Math.round(Math.log2(Math.max(1, dModel / 2)));
  return Math.min(nearest, c.latents - 1);
}

/** The learning rate of step `step` (1-based): linear warmup, then constant. */
export function lrAt(c: TrainConfig, step: number): number {
  const lr = c.lr ?? defaultLr(c.latents);
  return c.warmupSteps > 0 ? lr * Math.min(1, step / c.warmupSteps) : lr;
}
