/**
 * What an extraction does: which model, which hooks, which text, cut how. Defaults follow
 * OpenAI's GPT-2 small SAEs (DESIGN.md § Defaults): 64-token contexts with BOS prepended
 * (transformer_lens `to_tokens`), and the BOS position's rows left out of the activations
 * (its residual is the same for every context and would dominate an SAE's reconstruction).
 */
import { ExtractError } from './errors';

export interface ExtractConfig {
  /** `gpt2`, another hub id, `tiny-random[:seed]`, or a directory in Hugging Face layout. */
  model: string;
  /** transformer_lens hook names, e.g. `blocks.6.hook_resid_post`; several share one forward pass. */
  hooks: string[];
  /** `sotu` (the default), a directory of .txt files, or a .jsonl file with a `text` field. */
  corpus: string;
  /** Pre-tokenized JSONL (one array of ids per line), windowed as given with no BOS; replaces `corpus`. */
  tokensFile?: string;
  /** Tokens per context window, BOS included. */
  contextSize: number;
  /** Prepend BOS to each window (ignored, and false, with `tokensFile`). */
  prependBos: boolean;
  /** Keep the rows at the BOS position in the activation shards. */
  keepBosRows: boolean;
  /** Stop after this many tokens (window tokens, BOS included); all of the corpus when absent. */
  maxTokens?: number;
  /** Context windows per forward pass. */
  batchContexts: number;
  /** onnxruntime intra-op threads. */
  threads: number;
  /** Rows per activation shard (at d_model 768, 32768 rows = 100 MB). */
  rowsPerShard: number;
}

export const defaultExtractConfig: Omit<ExtractConfig, 'model' | 'hooks'> = {
  corpus: 'sotu',
  contextSize: 64,
  prependBos: true,
  keepBosRows: false,
  batchContexts: 32,
  threads: 2,
  rowsPerShard: 32768,
};

const positiveInt = (name: string, v: unknown): void => {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new ExtractError('BAD_ARGUMENT', `'${name}' must be a positive integer but got ${String(v)}`);
};

/** Fills defaults and checks every field; every entry point calls it first. */
export function validateExtractConfig(config: Partial<ExtractConfig> & Pick<ExtractConfig, 'model' | 'hooks'>): ExtractConfig {
  const c: ExtractConfig = { ...defaultExtractConfig, ...config };
  if (!c.model) throw new ExtractError('BAD_ARGUMENT', `'model' is required: gpt2, a hub id, tiny-random[:seed], or a directory`);
  if (!Array.isArray(c.hooks) || c.hooks.length === 0) throw new ExtractError('BAD_ARGUMENT', `'hooks' must name at least one hook, e.g. blocks.6.hook_resid_post`);
  if (new Set(c.hooks).size !== c.hooks.length) throw new ExtractError('BAD_ARGUMENT', `'hooks' lists a hook twice: [${c.hooks.join(', ')}]`);
  for (const key of ['contextSize', 'batchContexts', 'threads', 'rowsPerShard'] as const) positiveInt(key, c[key]);
  if (c.maxTokens !== undefined) positiveInt('maxTokens', c.maxTokens);
  if (c.tokensFile !== undefined) c.prependBos = false;
  if (c.prependBos && c.contextSize < 2) throw new ExtractError('BAD_ARGUMENT', `'contextSize' must be at least 2 with BOS prepended but got ${c.contextSize}`);
  return c;
}
