/** Corpora and context windows: documents in corpus order, cut into model-sized windows. */
export { openCorpus, openTokens, corpusId, type CorpusDocument, type TextDocument, type TokenDocument, type CorpusOptions } from './corpus';
export { windowize, tokenizeDocs, validateWindowConfig, type Window, type WindowConfig, type TokenInput } from './windows';
