/**
 * @saestream/extract — GPT-2 → `activations/1` (and `contexts/1`) record batches: a Hugging
 * Face GPT-2 (from a directory, the hub cache, or the seeded `tiny-random`), its forward pass as
 * an ONNX graph with exactly the requested transformer_lens hooks as outputs, run on
 * onnxruntime-node, over a corpus cut into context windows; and the spliced evaluation of an
 * SAE (the model's loss with the SAE's reconstruction in place of a residual-stream hook).
 *
 * A stage: it imports @saestream/io and @saestream/sae-core, never another stage.
 */
export { ExtractError, type ExtractErrorCode } from './lib/errors';
export { defaultExtractConfig, validateExtractConfig, type ExtractConfig } from './lib/config';
export { runExtraction, readRunManifest, type RunManifest, type ExtractionProgress, type RunOptions } from './lib/run/run-extraction';
export { extractBatches, type ExtractedBatch } from './lib/run/forward-batches';
export { activationStream, contextStream } from './lib/run/streams';
export { openSource, type ExtractSource } from './lib/run/source';
export { Gpt2Runner, SplitGpt2Runner, gpt2ConfigFromHf, hookNames, type Gpt2Config, type HookOutput } from './lib/graph';
export { resolveModel, loadModelDir, loadTokenizer, writeTinyRandom, type ResolveOptions, type LoadedModel, type Tokenizer } from './lib/model';
export { openCorpus, openTokens, windowize, tokenizeDocs, type Window } from './lib/corpus';
export { openSplicedEval, SplicedEval, defaultSplicedEvalConfig, type SplicedEvalConfig, type SplicedEvalReport, type SpliceMeasures, type Splice } from './lib/eval';
