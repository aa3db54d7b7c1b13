import { ExtractError } from '../errors';
import { CorpusDocument, tokenizeDocs, TokenInput, Window, WindowConfig, windowize } from './index';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** Four documents of 7, 0, 2 and 6 tokens; doc 2's ids start at 20, doc 3's at 30. */
const DOCS: number[][] = [range(1, 8), [], [20, 21], range(30, 36)];
const B = 99; // BOS in these tables

async function windows(cfg: Partial<WindowConfig>, docs: number[][] = DOCS): Promise<[number, number, number, number[]][]> {
  const input = docs.map((t, doc) => ({ doc, tokens: Int32Array.from(t) }));
  const out: [number, number, number, number[]][] = [];
  for await (const w of windowize(input, { contextSize: 4, prependBos: true, bosTokenId: B, ...cfg })) out.push([w.ctx, w.doc, w.offset, Array.from(w.tokens)]);
  return out;
}

// [ctx, doc, offset, tokens], worked out by hand from DOCS with contextSize 4: chunks of 3
// document tokens with BOS, of 4 without.
const table: { name: string; cfg: Partial<WindowConfig>; want: [number, number, number, number[]][] }[] = [
  {
    name: 'BOS, remainder kept',
    cfg: {},
    want: [[0, 0, 0, [B, 1, 2, 3]], [1, 0, 3, [B, 4, 5, 6]], [2, 0, 6, [B, 7]], [3, 2, 0, [B, 20, 21]], [4, 3, 0, [B, 30, 31, 32]], [5, 3, 3, [B, 33, 34, 35]]],
  },
  {
    name: 'no BOS, remainder kept',
    cfg: { prependBos: false },
    want: [[0, 0, 0, [1, 2, 3, 4]], [1, 0, 4, [5, 6, 7]], [2, 2, 0, [20, 21]], [3, 3, 0, [30, 31, 32, 33]], [4, 3, 4, [34, 35]]],
  },
  { name: 'BOS, remainder dropped', cfg: { dropRemainder: true }, want: [[0, 0, 0, [B, 1, 2, 3]], [1, 0, 3, [B, 4, 5, 6]], [2, 3, 0, [B, 30, 31, 32]], [3, 3, 3, [B, 33, 34, 35]]] },
  { name: 'no BOS, remainder dropped', cfg: { prependBos: false, dropRemainder: true }, want: [[0, 0, 0, [1, 2, 3, 4]], [1, 3, 0, [30, 31, 32, 33]]] },
  { name: 'maxTokens 6 cuts the second window', cfg: { maxTokens: 6 }, want: [[0, 0, 0, [B, 1, 2, 3]], [1, 0, 3, [B, 4]]] },
  { name: 'maxTokens 8 ends on a window boundary', cfg: { maxTokens: 8 }, want: [[0, 0, 0, [B, 1, 2, 3]], [1, 0, 3, [B, 4, 5, 6]]] },
  { name: 'maxTokens 9 leaves BOS alone', cfg: { maxTokens: 9 }, want: [[0, 0, 0, [B, 1, 2, 3]], [1, 0, 3, [B, 4, 5, 6]], [2, 0, 6, [B]]] },
  { name: 'maxTokens 12 crosses a document', cfg: { maxTokens: 12 }, want: [[0, 0, 0, [B, 1, 2, 3]], [1, 0, 3, [B, 4, 5, 6]], [2, 0, 6, [B, 7]], [3, 2, 0, [B, 20]]] },
  { name: 'maxTokens 5 without BOS', cfg: { prependBos: false, maxTokens: 5 }, want: [[0, 0, 0, [1, 2, 3, 4]], [1, 0, 4, [5]]] },
  { name: 'maxTokens with remainders dropped', cfg: { dropRemainder: true, maxTokens: 10 }, want: [[0, 0, 0, [B, 1, 2, 3]], [1, 0, 3, [B, 4, 5, 6]], [2, 3, 0, [B, 30]]] },
  { name: 'maxTokens past the corpus', cfg: { prependBos: false, maxTokens: 1000 }, want: [[0, 0, 0, [1, 2, 3, 4]], [1, 0, 4, [5, 6, 7]], [2, 2, 0, [20, 21]], [3, 3, 0, [30, 31, 32, 33]], [4, 3, 4, [34, 35]]] },
  { name: 'contextSize 2 with BOS', cfg: { contextSize: 2 }, want: [...range(0, 7).map((i): [number, number, number, number[]] => [i, 0, i, [B, i + 1]]), [7, 2, 0, [B, 20]], [8, 2, 1, [B, 21]], ...range(0, 6).map((i): [number, number, number, number[]] => [9 + i, 3, i, [B, 30 + i]])] },
];

describe('windowize', () => {
  it.each(table)('$name', async ({ cfg, want }) => {
    expect(await windows(cfg)).toEqual(want);
  });

  it('cuts any documents so that windows reassemble them (random cases)', async () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let trial = 0; trial < 50; trial++) {
      const docs = range(0, 1 + rand(6)).map(() => range(0, rand(40)).map(() => rand(1000)));
      const prependBos = rand(2) === 1;
      const contextSize = 2 + rand(9);
      const got = await windows({ contextSize, prependBos, bosTokenId: 5000 }, docs);
      const chunk = contextSize - (prependBos ? 1 : 0);
      expect(got.map((w) => w[0])).toEqual(range(0, got.length));
      for (const [doc, tokens] of docs.entries()) {
        const mine = got.filter((w) => w[1] === doc);
        expect(mine.map((w) => w[2])).toEqual(range(0, Math.ceil(tokens.length / chunk)).map((i) => i * chunk));
        expect(mine.flatMap((w) => (prependBos ? (expect(w[3][0]).toBe(5000), w[3].slice(1)) : w[3]))).toEqual(tokens);
        expect(mine.slice(0, -1).every((w) => w[3].length === contextSize)).toBe(true);
      }
    }
  });

  it('is deterministic and gives each window its own tokens', async () => {
    expect(await windows({})).toEqual(await windows({}));
    const doc = { doc: 0, tokens: Int32Array.from([1, 2, 3, 4, 5]) };
    const out: Window[] = [];
    for await (const w of windowize([doc], { contextSize: 4, prependBos: false, bosTokenId: 0 })) out.push(w);
    doc.tokens.fill(0);
    expect(out.map((w) => Array.from(w.tokens))).toEqual([[1, 2, 3, 4], [5]]);
  });

  it('stops reading documents once maxTokens is reached', async () => {
    const pulled: number[] = [];
    let closed = false;
    async function* docs(): AsyncGenerator<TokenInput> {
      try {
        for (const [doc, t] of DOCS.entries()) {
          pulled.push(doc);
          yield { doc, tokens: Int32Array.from(t) };
        }
      } finally {
        closed = true;
      }
    }
    let n = 0;
    for await (const w of windowize(docs(), { contextSize: 4, prependBos: true, bosTokenId: B, maxTokens: 10 })) n += w.tokens.length;
    expect([n, pulled, closed]).toEqual([10, [0], true]);
  });
});

describe('validation', () => {
  const base: WindowConfig = { contextSize: 4, prependBos: true, bosTokenId: 50256, vocabSize: 50257, nPositions: 1024 };
  const configCases: { name: string; cfg: Partial<WindowConfig>; code: string; message: RegExp }[] = [
    { name: 'contextSize > nPositions', cfg: { contextSize: 1025 }, code: 'BAD_TOKENS', message: /'contextSize' 1025 exceeds the model's context length nPositions 1024/ },
    { name: 'contextSize < 2 with BOS', cfg: { contextSize: 1 }, code: 'BAD_ARGUMENT', message: /'contextSize' must be at least 2 with BOS prepended .* but got 1/ },
    { name: 'contextSize 0', cfg: { contextSize: 0, prependBos: false }, code: 'BAD_ARGUMENT', message: /'contextSize' must be a positive integer but got 0/ },
    { name: 'contextSize 2.5', cfg: { contextSize: 2.5 }, code: 'BAD_ARGUMENT', message: /'contextSize' must be a positive integer but got 2.5/ },
    { name: 'maxTokens 0', cfg: { maxTokens: 0 }, code: 'BAD_ARGUMENT', message: /'maxTokens' must be a positive integer but got 0/ },
    { name: 'BOS outside the vocabulary', cfg: { bosTokenId: 50257 }, code: 'BAD_TOKENS', message: /'bosTokenId' must be an integer in \[0, 50257\) but got 50257/ },
    { name: 'nPositions 0', cfg: { nPositions: 0 }, code: 'BAD_ARGUMENT', message: /'nPositions' must be a positive integer/ },
  ];

  it.each(configCases)('$name throws when windowize is called', ({ cfg, code, message }) => {
    let error: unknown;
    try {
      windowize([], { ...base, ...cfg });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExtractError);
    expect((error as ExtractError).code).toBe(code);
    expect((error as ExtractError).message).toMatch(message);
  });

  it('accepts contextSize 1 without BOS, and contextSize = nPositions', async () => {
    expect(await windows({ contextSize: 1, prependBos: false }, [[4, 5]])).toEqual([[0, 0, 0, [4]], [1, 0, 1, [5]]]);
    expect(await windows({ contextSize: 1024, nPositions: 1024 }, [[4, 5]])).toEqual([[0, 0, 0, [B, 4, 5]]]);
  });

  const tokenCases: { name: string; docs: TokenInput[]; message: RegExp }[] = [
    { name: 'an id = vocabSize', docs: [{ doc: 0, id: '1790-Washington', tokens: Int32Array.from([1, 2, 50257]) }], message: /document 0 \(1790-Washington\) position 2: token id 50257 is outside the vocabulary \[0, 50257\)/ },
    { name: 'a negative id in a later window', docs: [{ doc: 0, tokens: Int32Array.from([1]) }, { doc: 1, tokens: Int32Array.from([1, 2, 3, 4, -1]) }], message: /document 1 position 4: token id -1 is outside/ },
  ];
  it.each(tokenCases)('$name is BAD_TOKENS naming document, position and id', async ({ docs, message }) => {
    const run = async () => {
      for await (const w of windowize(docs, base)) void w;
    };
    await expect(run()).rejects.toMatchObject({ code: 'BAD_TOKENS', message: expect.stringMatching(message) });
  });
});

describe('tokenizeDocs', () => {
  const encode = (text: string) => Array.from(text, (c) => c.codePointAt(0)!);

  it('encodes text documents and passes token documents through untouched', async () => {
    const tokenDoc: CorpusDocument = { doc: 1, id: 'line 2', tokens: Int32Array.from([7, 8]) };
    const input: CorpusDocument[] = [{ doc: 0, id: 'a.txt', text: 'hi!' }, tokenDoc, { doc: 2, id: 'b.txt', text: '' }];
    const out = [];
    for await (const d of tokenizeDocs(input, encode)) out.push(d);
    expect(out.map((d) => [d.doc, d.id, Array.from(d.tokens)])).toEqual([
      [0, 'a.txt', [104, 105, 33]],
      [1, 'line 2', [7, 8]],
      [2, 'b.txt', []],
    ]);
    expect(out[1]).toBe(tokenDoc);
  });

  it('feeds windowize', async () => {
    const docs = tokenizeDocs([{ doc: 0, id: 'x', text: 'abcde' }], encode);
    const out: number[][] = [];
    for await (const w of windowize(docs, { contextSize: 3, prependBos: true, bosTokenId: 0 })) out.push(Array.from(w.tokens));
    expect(out).toEqual([[0, 97, 98], [0, 99, 100], [0, 101]]);
  });

  it('rejects a document with neither text nor tokens', async () => {
    const run = async () => {
      for await (const d of tokenizeDocs([{ doc: 3, id: 'odd' }], encode)) void d;
    };
    await expect(run()).rejects.toMatchObject({ code: 'BAD_CORPUS', message: 'document 3 (odd) has neither text nor tokens' });
  });
});
