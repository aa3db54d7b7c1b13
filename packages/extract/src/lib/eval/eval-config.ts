/**
 * What a spliced evaluation reads: which model and residual hook, and which held-out slice of
 * which corpus, cut into windows as the SAE's training data was (64 tokens, BOS prepended).
 *
 * The slice: the corpus's context windows in order, skipping every window that starts within
 * the first `skipTokens` window tokens (BOS counted, as extract's `--max-tokens` counts them),
 * then windows up to `tokens` window tokens in all (the last one cut short). With `skipTokens`
 * set to an extraction's token count, the slice begins right after the windows it extracted.
 */
import { ExtractError } from '../errors';

export interface SplicedEvalConfig {
  /** `gpt2`, another hub id, `tiny-random[:seed]`, or a directory in Hugging Face layout. */
  model: string;
  /** The residual-stream hook to splice at: `blocks.L.hook_resid_pre|mid|post`. */
  hook: string;
  /** `sotu` (the default), a directory of .txt files, or a .jsonl file with a `text` field. */
  corpus: string;
  /** Window tokens to evaluate on, BOS included. */
  tokens: number;
  /** Window tokens at the start of the corpus to pass over (those an SAE was trained on). */
  skipTokens: number;
  /** Tokens per context window, BOS included. */
  contextSize: number;
  /** Prepend BOS to each window; its position is then never spliced or scored. */
  prependBos: boolean;
  /** Context windows per forward pass (the logits of one pass take batch × seq × vocab floats). */
  batchContexts: number;
  /** onnxruntime intra-op threads. */
  threads: number;
}

export const defaultSplicedEvalConfig: Omit<SplicedEvalConfig, 'model' | 'hook'> = {
  corpus: 'sotu',
  tokens: 2048,
  skipTokens: 0,
  contextSize: 64,
  prependBos: true,
  batchContexts: 8,
  threads: 2,
};

/** Fills defaults and checks every field; every entry point calls it first. */
export function validateSplicedEvalConfig(config: Partial<SplicedEvalConfig> & Pick<SplicedEvalConfig, 'model' | 'hook'>): SplicedEvalConfig {
  const c: SplicedEvalConfig = { ...defaultSplicedEvalConfig, ...config };
  if (!c.model) throw new ExtractError('BAD_ARGUMENT', `'model' is required: gpt2, a hub id, tiny-random[:seed], or a directory`);
  if (!c.hook) throw new ExtractError('BAD_ARGUMENT', `'hook' is required: a residual-stream hook such as blocks.6.hook_resid_post`);
  for (const key of ['tokens', 'contextSize', 'batchContexts', 'threads'] as const) {
    if (!Number.isSafeInteger(c[key]) || c[key] < 1) throw new ExtractError('BAD_ARGUMENT', `'${key}' must be a positive integer but got ${String(c[key])}`);
  }
  if (!Number.isSafeInteger(c.skipTokens) || c.skipTokens < 0) throw new ExtractError('BAD_ARGUMENT', `'skipTokens' must be a non-negative integer but got ${String(c.skipTokens)}`);
  if (typeof c.prependBos !== 'boolean') throw new ExtractError('BAD_ARGUMENT', `'prependBos' must be true or false but got ${String(c.prependBos)}`);
  if (c.contextSize < (c.prependBos ? 3 : 2)) {
    throw new ExtractError('BAD_ARGUMENT', `'contextSize' must be at least ${c.prependBos ? 3 : 2} (a position to splice and a next token to predict) but got ${c.contextSize}`);
  }
  return c;
}
