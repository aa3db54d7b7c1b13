/**
 * Context windows, cut as OpenAI's and SAELens's GPT-2 SAEs were trained: each document's
 * tokens are split into consecutive chunks of `contextSize - 1` tokens with BOS prepended
 * (BOS + chunk = `contextSize` tokens, as transformer_lens `to_tokens` gives) or `contextSize`
 * tokens without. A window never spans two documents.
 *
 *     window w of document d:  [BOS?] d.tokens[w·chunk, min((w+1)·chunk, n))
 *     offset = w·chunk          (the document position of the first non-BOS token)
 *     ctx    = windows emitted before it, over all documents (0, 1, 2, ...)
 *
 * - Remainder: a document's last, shorter chunk is kept as a shorter window (BOS + the rest);
 *   `dropRemainder: true` drops it (and so drops documents shorter than one chunk). A document
 *   with no tokens gives no window.
 * - `maxTokens` counts the tokens of the emitted windows, BOS included (the rows a forward pass
 *   sees). The window that crosses the limit is truncated so the total is exactly `maxTokens`
 *   (with BOS that can be a window of BOS alone), and no further document is read.
 * - Validation: the config is checked when `windowize` is called (contextSize > nPositions is
 *   'BAD_TOKENS', contextSize < 2 with BOS 'BAD_ARGUMENT'); token ids are checked against
 *   [0, vocabSize) as they are windowed, the error naming document, position and id.
 *
 * Pre-tokenized corpora go through unchanged with `prependBos: false`. The output depends only
 * on the input: same documents and config, same windows. Window tokens are fresh arrays, never
 * views of the document's.
 */
import { ExtractError } from '../errors';
import { CorpusDocument, TokenDocument } from './corpus';

/** One context window (a row of contexts/1). */
export interface Window {
  /** 0-based, consecutive over the whole stream. */
  ctx: number;
  /** The document it was cut from. */
  doc: number;
  /** Token offset of the window's first document token (after BOS) in its document. */
  offset: number;
  /** [≤ contextSize] token ids, BOS first when prependBos. */
  tokens: Int32Array;
}

export interface WindowConfig {
  /** Tokens per window, BOS included; at most the model's nPositions. */
  contextSize: number;
  /** Start every window with `bosTokenId` (false for pre-tokenized corpora). */
  prependBos: boolean;
  /** The BOS id (GPT-2: 50256, `<|endoftext|>`). */
  bosTokenId: number;
  /** Stop after exactly this many window tokens, BOS included; the whole corpus when absent. */
  maxTokens?: number;
  /** Token ids must lie in [0, vocabSize) when given. */
  vocabSize?: number;
  /** The model's context length; contextSize may not exceed it. */
  nPositions?: number;
  /** Drop each document's last, shorter window instead of keeping it. Default false. */
  dropRemainder?: boolean;
}

/** What windowize reads: a document's tokens (its `id`, when present, is named in errors). */
export interface TokenInput {
  doc: number;
  id?: string;
  tokens: Int32Array;
}

const positiveInt = (name: string, v: unknown, code: 'BAD_ARGUMENT' | 'BAD_TOKENS' = 'BAD_ARGUMENT'): void => {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new ExtractError(code, `'${name}' must be a positive integer but got ${String(v)}`);
};

/** Checks a window config; `windowize` calls it before reading anything. */
export function validateWindowConfig(cfg: WindowConfig): void {
  positiveInt('contextSize', cfg.contextSize);
  if (typeof cfg.prependBos !== 'boolean') throw new ExtractError('BAD_ARGUMENT', `'prependBos' must be true or false but got ${String(cfg.prependBos)}`);
  if (cfg.prependBos && cfg.contextSize < 2) {
    throw new ExtractError('BAD_ARGUMENT', `'contextSize' must be at least 2 with BOS prepended (BOS + 1 token) but got ${cfg.contextSize}`);
  }
  if (cfg.maxTokens !== undefined) positiveInt('maxTokens', cfg.maxTokens);
  if (cfg.vocabSize !== undefined) positiveInt('vocabSize', cfg.vocabSize);
  if (cfg.nPositions !== undefined) {
    positiveInt('nPositions', cfg.nPositions);
    if (cfg.contextSize > cfg.nPositions) {
      throw new ExtractError('BAD_TOKENS', `'contextSize' ${cfg.contextSize} exceeds the model's context length nPositions ${cfg.nPositions}`);
    }
  }
  if (cfg.prependBos) {
    const v = cfg.vocabSize;
    if (!Number.isSafeInteger(cfg.bosTokenId) || cfg.bosTokenId < 0 || (v !== undefined && cfg.bosTokenId >= v)) {
      throw new ExtractError('BAD_TOKENS', `'bosTokenId' must be an integer in [0, ${v ?? 'vocabSize'}) but got ${cfg.bosTokenId}`);
    }
  }
}

/** The context windows of `docs` in order (see the file comment for the exact cut). */
export function windowize(docs: AsyncIterable<TokenInput> | Iterable<TokenInput>, cfg: WindowConfig): AsyncGenerator<Window> {
  validateWindowConfig(cfg);
  return cut(docs, { ...cfg });
}

async function* cut(docs: AsyncIterable<TokenInput> | Iterable<TokenInput>, cfg: WindowConfig): AsyncGenerator<Window> {
  const bos = cfg.prependBos ? 1 : 0;
  const chunk = cfg.contextSize - bos; // document tokens per full window
  let left = cfg.maxTokens ?? Infinity; // window tokens still allowed
  let ctx = 0;
  for await (const d of docs) {
    if (!(d.tokens instanceof Int32Array)) {
      throw new ExtractError('BAD_TOKENS', `document ${name(d)}: tokens must be an Int32Array but got ${Object.prototype.toString.call(d.tokens)}`);
    }
    const n = d.tokens.length;
    for (let offset = 0; offset < n; offset += chunk) {
      const end = Math.min(n, offset + chunk);
      if (end - offset < chunk && cfg.dropRemainder) break;
      const length = Math.min(bos + end - offset, left);
      const piece = d.tokens.subarray(offset, offset + length - bos);
      checkIds(piece, d, offset, cfg.vocabSize);
      const tokens = new Int32Array(length);
      if (bos) tokens[0] = cfg.bosTokenId;
      tokens.set(piece, bos);
      yield { ctx: ctx++, doc: d.doc, offset, tokens };
      left -= length;
      if (left === 0) return;
    }
  }
}

const name = (d: TokenInput): string => (d.id === undefined ? `${d.doc}` : `${d.doc} (${d.id})`);

function checkIds(piece: Int32Array, d: TokenInput, offset: number, vocabSize: number | undefined): void {
  const limit = vocabSize ?? 2 ** 31;
  for (let i = 0; i < piece.length; i++) {
    const id = piece[i];
    if (id < 0 || id >= limit) {
      throw new ExtractError('BAD_TOKENS', `document ${name(d)} position ${offset + i}: token id ${id} is outside the vocabulary [0, ${vocabSize ?? '2^31'})`);
    }
  }
}

/**
 * Token documents from text documents: `encode(text)` for those with text, and documents that
 * already carry `tokens` passed through untouched (the same object).
 */
export async function* tokenizeDocs(
  docs: AsyncIterable<CorpusDocument> | Iterable<CorpusDocument>,
  encode: (text: string) => ArrayLike<number>,
): AsyncGenerator<TokenDocument> {
  for await (const d of docs) {
    if (d.tokens !== undefined) yield d as TokenDocument;
    else if (d.text !== undefined) yield { ...d, tokens: Int32Array.from(encode(d.text)) };
    else throw new ExtractError('BAD_CORPUS', `document ${d.doc} (${d.id}) has neither text nor tokens`);
  }
}
