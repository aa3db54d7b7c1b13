/**
 * A spliced evaluation from its config: the model resolved and loaded (cache, hub, directory or
 * tiny-random), the hook checked against it (and an SAE's width, before any text is read),
 * the corpus tokenized up to the end of its held-out slice, the prefix run once.
 */
import { corpusId, openCorpus, tokenizeDocs, windowize } from '../corpus';
import { ExtractError } from '../errors';
import { gpt2ConfigFromHf, residualStart } from '../graph';
import { loadModelDir, loadTokenizer, resolveModel, ResolveOptions } from '../model';
import { SplicedEvalConfig, validateSplicedEvalConfig } from './eval-config';
import { heldOutWindows } from './held-out';
import { SplicedEval } from './spliced-eval';

export interface OpenSplicedEvalOptions {
  /** The d_in of the SAE to be evaluated: checked against the model's width at the hook first. */
  dIn?: number;
  resolve?: ResolveOptions;
}

/** An open evaluation and what it reads. */
export interface OpenedSplicedEval {
  evaluator: SplicedEval;
  config: SplicedEvalConfig;
  /** The corpus's stable id (`sotu`, `dir:…`, `jsonl:…#sha`). */
  corpusId: string;
}

/**
 * @throws ExtractError 'BAD_ARGUMENT' (config; an SAE width the model lacks at the hook, naming both),
 *   'UNKNOWN_HOOK' (not a residual hook of this model), 'MODEL_NOT_FOUND', 'BAD_CORPUS' (nothing left after the skip)
 */
export async function openSplicedEval(config: Partial<SplicedEvalConfig> & Pick<SplicedEvalConfig, 'model' | 'hook'>, opts: OpenSplicedEvalOptions = {}): Promise<OpenedSplicedEval> {
  const c = validateSplicedEvalConfig(config);
  const model = await loadModelDir(await resolveModel(c.model, opts.resolve));
  const gpt2 = gpt2ConfigFromHf(model.configJson);
  residualStart(gpt2, c.hook);
  if (opts.dIn !== undefined && opts.dIn !== gpt2.nEmbd) {
    throw new ExtractError('BAD_ARGUMENT', `the SAE's d_in is ${opts.dIn} but model '${c.model}' is ${gpt2.nEmbd} wide at ${c.hook}`);
  }
  const tokenizer = await loadTokenizer(model.tokenizerFile);
  const windows = windowize(tokenizeDocs(openCorpus(c.corpus), (text) => tokenizer.encode(text)), {
    contextSize: c.contextSize,
    prependBos: c.prependBos,
    bosTokenId: gpt2.bosTokenId,
    vocabSize: gpt2.vocabSize,
    nPositions: gpt2.nPositions,
  });
  const slice = await heldOutWindows(windows, c.skipTokens, c.tokens, c.prependBos ? 3 : 2); // stops reading the corpus there
  const evaluator = await SplicedEval.create({ config: gpt2, weights: model.weights }, slice, {
    hook: c.hook,
    prependBos: c.prependBos,
    contextSize: c.contextSize,
    batchContexts: c.batchContexts,
    intraOpThreads: c.threads,
  });
  return { evaluator, config: c, corpusId: await corpusId(c.corpus) };
}
