/**
 * Strict UTF-8 for corpus files. Text is decoded with `TextDecoder('utf-8', { fatal: true })`;
 * when that fails, a validator that follows the Unicode Standard's table of well-formed byte
 * sequences (§3.9, Table 3-7) finds the first bad byte, so the error names its byte offset in
 * the file and its line (1-based, counting `\n`).
 *
 * `readLines` streams a file as lines (split on `\n`, a trailing `\r` dropped, a UTF-8 BOM at
 * the start of the file dropped) without holding more than one line and one read chunk, which
 * is what `readline` would do, except that it keeps each line's byte offset for the errors.
 */
import { createReadStream } from 'node:fs';
import { ExtractError } from '../errors';

/** One line of a file: its 1-based number, the byte offset of its first byte, and its text. */
export interface Line {
  lineNo: number;
  byteOffset: number;
  text: string;
}

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Index of the first byte that does not start a well-formed UTF-8 sequence, or -1 when all are. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes allowed after lead byte c: the second byte's range is narrowed for
    // E0 (no overlongs), ED (no surrogates), F0 (no overlongs) and F4 (nothing past U+10FFFF).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let j = 1; j <= n; j++) {
      if (i + j >= b.length) return i;
      const d = b[i + j];
      if (d < (j === 1 ? lo : 0x80) || d > (j === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/**
 * Decodes `bytes` or throws 'BAD_CORPUS' naming `file`, the byte offset in the file and the line.
 * @param bytes the bytes to decode (a whole file, or one line of it)
 * @param at where `bytes` sit in `file`: their first byte's offset and line number
 */
export function decodeUtf8(bytes: Uint8Array, file: string, at: { byteOffset: number; lineNo: number } = { byteOffset: 0, lineNo: 1 }): string {
  try {
    return fatal.decode(bytes);
  } catch (cause) {
    const bad = firstInvalidUtf8(bytes);
    if (bad < 0) throw new ExtractError('BAD_CORPUS', `${file}: not valid UTF-8 (line ${at.lineNo})`, { cause });
    let lineNo = at.lineNo;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) lineNo++;
    const hex = Array.from(bytes.subarray(bad, bad + 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new ExtractError('BAD_CORPUS', `${file}: invalid UTF-8 at byte offset ${at.byteOffset + bad} (line ${lineNo}): bytes ${hex}`, { cause });
  }
}

/** The lines of `file`, decoded strictly, one at a time; the file is closed when the consumer stops. */
export async function* readLines(file: string): AsyncGenerator<Line> {
  const stream = createReadStream(file);
  let pending: Buffer[] = []; // pieces of the current line from earlier chunks
  let lineStart = 0; // byte offset of the current line
  let chunkStart = 0; // byte offset of the current chunk
  let lineNo = 0;
  const line = (piece: Buffer): Line => {
    let bytes = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
    pending = [];
    lineNo++;
    let byteOffset = lineStart;
    if (lineNo === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      bytes = bytes.subarray(3);
      byteOffset = 3;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    return { lineNo, byteOffset, text: decodeUtf8(bytes, file, { byteOffset, lineNo }) };
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
        yield line(chunk.subarray(from, nl));
        from = nl + 1;
        lineStart = chunkStart + from;
      }
      if (from < chunk.length) pending.push(chunk.subarray(from));
      chunkStart += chunk.length;
    }
    if (pending.length > 0) yield line(Buffer.alloc(0));
  } finally {
    stream.destroy();
  }
}
