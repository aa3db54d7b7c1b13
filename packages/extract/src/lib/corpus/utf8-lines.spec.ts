import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ExtractError } from '../errors';
import { firstInvalidUtf8, Line, readLines } from './utf8-lines';

// The reference is the WHATWG decoder itself: a sequence is valid iff fatal decoding succeeds,
// and the bytes before the first invalid one must decode on their own.
const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const valid = (b: Uint8Array) => {
  try {
    reference.decode(b);
    return true;
  } catch {
    return false;
  }
};

describe('firstInvalidUtf8', () => {
  const cases: [string, number[], number][] = [
    ['ASCII', [0x61, 0x62], -1],
    ['2, 3 and 4 byte sequences', [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], -1],
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['an overlong 2-byte form', [0xc0, 0x80], 0],
    ['an overlong 3-byte form', [0xe0, 0x80, 0x80], 0],
    ['a surrogate', [0x61, 0xed, 0xa0, 0x80], 1],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a sequence cut short at the end', [0x61, 0xe2, 0x82], 1],
    ['a sequence cut short by ASCII', [0xe2, 0x28, 0xa1], 0],
    ['0xff', [0x61, 0x62, 0xff], 2],
  ];
  it.each(cases)('%s', (_name, bytes, want) => {
    const b = Uint8Array.from(bytes);
    expect(firstInvalidUtf8(b)).toBe(want);
    expect(valid(b)).toBe(want < 0);
  });

  it('agrees with TextDecoder on random bytes', () => {
    let seed = 11;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const interesting = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    for (let trial = 0; trial < 5000; trial++) {
      const b = Uint8Array.from({ length: rand(8) }, () => (rand(2) ? interesting[rand(interesting.length)] : rand(256)));
      const bad = firstInvalidUtf8(b);
      expect([Array.from(b), valid(b)]).toEqual([Array.from(b), bad < 0]);
      if (bad >= 0) expect(valid(b.subarray(0, bad))).toBe(true);
    }
  });
});

describe('readLines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'saestream-lines-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function lines(body: Buffer): Promise<Line[]> {
    const file = path.join(dir, 'f.jsonl');
    await writeFile(file, body);
    const out: Line[] = [];
    for await (const l of readLines(file)) out.push(l);
    return out;
  }

  it('splits lines across read chunks, keeping byte offsets, CRLF and a BOM dropped', async () => {
    const long = 'x'.repeat(150_000); // longer than two 64 KiB read chunks
    const body = Buffer.from(`\uFEFFé\r\n${long}\n\nlast`);
    expect(await lines(body)).toEqual([
      { lineNo: 1, byteOffset: 3, text: 'é' },
      { lineNo: 2, byteOffset: 7, text: long },
      { lineNo: 3, byteOffset: 7 + 150_001, text: '' },
      { lineNo: 4, byteOffset: 7 + 150_002, text: 'last' },
    ]);
    expect(await lines(Buffer.from('a\n'))).toEqual([{ lineNo: 1, byteOffset: 0, text: 'a' }]);
    expect(await lines(Buffer.alloc(0))).toEqual([]);
  });

  it('names the byte offset and line of invalid UTF-8 past a chunk boundary', async () => {
    const body = Buffer.concat([Buffer.from('ok\n' + 'y'.repeat(100_000)), Buffer.from([0xf5]), Buffer.from('\n')]);
    const error = await lines(body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExtractError);
    expect((error as ExtractError).message).toBe(`${path.join(dir, 'f.jsonl')}: invalid UTF-8 at byte offset 100003 (line 2): bytes f5`);
  });
});
