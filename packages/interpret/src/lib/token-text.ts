/**
 * Token ids → text a person can read, one token at a time. GPT-2's BPE is byte-level: its vocab
 * strings spell bytes through a printable mapping (`bytes_to_unicode` in OpenAI's encoder.py),
 * and one token can hold part of a multi-byte UTF-8 character. Each token's bytes are decoded
 * on their own; bytes that are not a complete UTF-8 sequence inside the token are shown as
 * `\xNN` escapes rather than as U+FFFD, so nothing is hidden or merged.
 */

/** byte → the character GPT-2's vocab uses for it (encoder.py `bytes_to_unicode`). */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCharCode(cs[i])));
  return out;
}

const BYTE_OF = new Map(bytesToUnicode().map((ch, b) => [ch, b]));
const strict = new TextDecoder('utf-8', { fatal: true });

/** The bytes a vocab string spells; characters outside the mapping (special tokens) as UTF-8. */
export function tokenBytes(vocabString: string): Uint8Array {
  const out: number[] = [];
  for (const ch of vocabString) {
    const b = BYTE_OF.get(ch);
    if (b !== undefined) out.push(b);
    else out.push(...new TextEncoder().encode(ch));
  }
  return Uint8Array.from(out);
}

/** UTF-8 bytes as text; bytes that do not form a complete character become `\xNN`. */
export function renderBytes(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    let out = '';
    for (let i = 0; i < bytes.length; ) {
      const len = bytes[i] < 0x80 ? 1 : bytes[i] >= 0xf0 ? 4 : bytes[i] >= 0xe0 ? 3 : bytes[i] >= 0xc0 ? 2 : 0;
      if (len > 0 && i + len <= bytes.length) {
        try {
          out += strict.decode(bytes.subarray(i, i + len));
          i += len;
          continue;
        } catch {
          // not a valid sequence: escape its first byte below
        }
      }
      out += `\\x${bytes[i].toString(16).padStart(2, '0')}`;
      i += 1;
    }
    return out;
  }
}

/** Renders token ids with a vocab (id → vocab string, from tokenizer.json's `model.vocab`). */
export class TokenText {
  private readonly cache = new Map<number, string>();

  constructor(private readonly vocab: readonly string[]) {}

  token(id: number): string {
    let s = this.cache.get(id);
    if (s === undefined) {
      const v = this.vocab[id];
      s = v === undefined ? `<${id}>` : renderBytes(tokenBytes(v));
      this.cache.set(id, s);
    }
    return s;
  }

  tokens(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.token(id));
  }
}

/** id → vocab string from a tokenizer.json object (`model.vocab` plus `added_tokens`). */
export function vocabFromTokenizerJson(json: { model?: { vocab?: Record<string, number> }; added_tokens?: { id: number; content: string }[] }): string[] {
  const vocab: string[] = [];
  for (const [s, id] of Object.entries(json.model?.vocab ?? {})) vocab[id] = s;
  for (const t of json.added_tokens ?? []) vocab[t.id] = t.content;
  return vocab;
}
