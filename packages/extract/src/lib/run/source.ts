/**
 * The inputs of an extraction, opened once: the model (resolved from the cache, the hub, or a
 * directory), its tokenizer, and a function that yields the context windows in order. Opening
 * checks the hooks against the model before any text is read.
 */
import { ExtractConfig } from '../config';
import { ExtractError } from '../errors';
import { corpusId, openCorpus, openTokens, tokenizeDocs, Window, windowize } from '../corpus';
import { Gpt2Config, gpt2ConfigFromHf, hookNames } from '../graph';
import { loadModelDir, LoadedModel, loadTokenizer, resolveModel, ResolveOptions } from '../model';

export interface ExtractSource {
  model: LoadedModel;
  gpt2: Gpt2Config;
  /** The model id recorded in metadata (the spec as given). */
  modelId: string;
  /** A stable id of the text: `sotu`, `dir:…`, `jsonl:…#sha`, `tokens:…#sha`. */
  corpusId: string;
  /** A fresh pass over the context windows, in order (each call re-reads the corpus). */
  windows(): AsyncGenerator<Window>;
}

/** Width of one row of a per-position hook (hook_pattern has none: it is per query × key). */
export function hookWidth(gpt2: Gpt2Config, hook: string): number {
  if (hook.endsWith('attn.hook_pattern')) {
    throw new ExtractError('UNKNOWN_HOOK', `'${hook}' is per query and key position, not per token; activation shards take per-token hooks`);
  }
  if (hook === 'logits') return gpt2.vocabSize;
  if (hook.endsWith('mlp.hook_pre') || hook.endsWith('mlp.hook_post')) return 4 * gpt2.nEmbd;
  return gpt2.nEmbd;
}

export async function openSource(c: ExtractConfig, resolve: ResolveOptions = {}): Promise<ExtractSource> {
  const model = await loadModelDir(await resolveModel(c.model, resolve));
  const gpt2 = gpt2ConfigFromHf(model.configJson);
  const valid = new Set(hookNames(gpt2));
  for (const hook of c.hooks) {
    if (!valid.has(hook)) throw new ExtractError('UNKNOWN_HOOK', `unknown hook '${hook}' for this model (${gpt2.nLayer} layers); valid: ${compactHooks(gpt2)}`);
    hookWidth(gpt2, hook);
  }
  const windowConfig = {
    contextSize: c.contextSize,
    prependBos: c.prependBos,
    bosTokenId: gpt2.bosTokenId,
    maxTokens: c.maxTokens,
    vocabSize: gpt2.vocabSize,
    nPositions: gpt2.nPositions,
  };
  if (c.tokensFile !== undefined) {
    const file = c.tokensFile;
    return { model, gpt2, modelId: c.model, corpusId: await corpusId(file, { tokens: true }), windows: () => windowize(openTokens(file), windowConfig) };
  }
  const tokenizer = await loadTokenizer(model.tokenizerFile);
  const encode = (text: string) => tokenizer.encode(text);
  return { model, gpt2, modelId: c.model, corpusId: await corpusId(c.corpus), windows: () => windowize(tokenizeDocs(openCorpus(c.corpus), encode), windowConfig) };
}

/** `hook_embed, hook_pos_embed, blocks.{0..11}.hook_resid_pre, …` */
function compactHooks(gpt2: Gpt2Config): string {
  const names = hookNames(gpt2);
  const perLayer = [...new Set(names.filter((n) => n.startsWith('blocks.0.')).map((n) => n.slice('blocks.0.'.length)))];
  const global = names.filter((n) => !n.startsWith('blocks.'));
  return [...global, ...perLayer.map((h) => `blocks.{0..${gpt2.nLayer - 1}}.${h}`)].join(', ');
}
