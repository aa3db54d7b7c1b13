/**
 * A minimal zip reader, enough for the archives `torch.save` writes (PKWARE APPNOTE 6.3):
 *
 *   [local header 30 B + name + extra][data] ... [central directory: 46 B + name + extra + comment, per entry]
 *   [ZIP64 end record 56 B][ZIP64 locator 20 B]   (present when any count/size/offset needs 64 bits;
 *                                                  torch writes them always)
 *   [end of central directory 22 B + comment ≤ 65535 B]
 *
 * Sizes, CRC-32 and offsets come from the central directory (torch's local headers set the
 * data-descriptor flag and leave them zero); where a 32-bit field is 0xffffffff its value is in
 * the ZIP64 extra field (id 0x0001), which lists only those fields, in the order
 * uncompressed size, compressed size, local header offset.
 * Entries are stored (method 0, returned as views of the input) or deflated (method 8, inflated
 * with node:zlib). Every entry's CRC-32 is checked, so a flipped byte is an error, not a weight.
 * Not handled: encryption, multi-disk archives, other compression methods (IoError 'UNSUPPORTED').
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { IoError } from './errors';

const SIG = { local: 0x04034b50, central: 0x02014b50, end: 0x06054b50, end64: 0x06064b50, locator64: 0x07064b50 };
const METHODS: Record<number, string> = { 0: 'stored', 8: 'deflate' };
const MAX_COMMENT = 0xffff;

/** Where the central directory is, from the end record (or its ZIP64 twin). */
interface Directory {
  entryCount: number;
  offset: number;
  size: number;
}

/** One central directory record. */
interface CentralRecord {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/**
 * Reads every entry of a zip archive.
 * @param bytes the whole archive
 * @param file the file name, for error messages
 * @returns entry name → contents (a view of `bytes` for stored entries)
 */
export function readZipEntries(bytes: Uint8Array, file?: string): Map<string, Uint8Array> {
  const reader = new ZipReader(bytes, file);
  const entries = new Map<string, Uint8Array>();
  for (const record of reader.centralDirectory(reader.endOfCentralDirectory())) {
    if (entries.has(record.name)) throw reader.corrupt(`entry '${record.name}' appears twice in the central directory`);
    entries.set(record.name, reader.entryData(record));
  }
  return entries;
}

class ZipReader {
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file?: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  corrupt(message: string, cause?: unknown): IoError {
    return new IoError('CORRUPT_FILE', message, { file: this.file, cause });
  }

  /** Checks that [offset, offset + length) lies in the file. */
  private need(offset: number, length: number, what: string): void {
    if (offset < 0 || offset + length > this.bytes.byteLength) {
      throw this.corrupt(`zip truncated or garbled: ${what} at byte ${offset} needs ${length} bytes, the file has ${this.bytes.byteLength}`);
    }
  }

  private u16 = (at: number) => this.view.getUint16(at, true);
  private u32 = (at: number) => this.view.getUint32(at, true);
  private u64(at: number): number {
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.corrupt(`zip field at byte ${at} is ${value}, beyond 2^53`);
    return Number(value);
  }

  /** Finds the end record scanning back over a possible comment, then its ZIP64 twin if present. */
  endOfCentralDirectory(): Directory {
    const last = this.bytes.byteLength - 22;
    let at = -1;
    for (let i = last; i >= Math.max(0, last - MAX_COMMENT); i--) {
      if (this.u32(i) === SIG.end && i + 22 + this.u16(i + 20) === this.bytes.byteLength) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      const searched = Math.min(this.bytes.byteLength, 22 + MAX_COMMENT);
      throw this.corrupt(`not a zip archive or truncated: no end-of-central-directory record in the last ${searched} bytes`);
    }
    if (this.u16(at + 4) !== 0 || this.u16(at + 6) !== 0) {
      throw new IoError('UNSUPPORTED', 'multi-disk (spanned) zip archives are not supported', { file: this.file });
    }
    const directory = { entryCount: this.u16(at + 10), size: this.u32(at + 12), offset: this.u32(at + 16) };
    const locator = at - 20;
    if (locator < 0 || this.u32(locator) !== SIG.locator64) return directory;
    const end64 = this.u64(locator + 8);
    this.need(end64, 56, 'ZIP64 end-of-central-directory record');
    if (this.u32(end64) !== SIG.end64) throw this.corrupt(`ZIP64 locator points at byte ${end64}, which holds no ZIP64 end record`);
    return { entryCount: this.u64(end64 + 32), size: this.u64(end64 + 40), offset: this.u64(end64 + 48) };
  }

  centralDirectory({ entryCount, offset, size }: Directory): CentralRecord[] {
    this.need(offset, size, 'central directory');
    const records: CentralRecord[] = [];
    let at = offset;
    for (let i = 0; i < entryCount; i++) {
      this.need(at, 46, `central directory record ${i}`);
      if (this.u32(at) !== SIG.central) throw this.corrupt(`central directory record ${i} at byte ${at} has a bad signature`);
      const nameLength = this.u16(at + 28);
      const extraLength = this.u16(at + 30);
      const commentLength = this.u16(at + 32);
      this.need(at + 46, nameLength + extraLength + commentLength, `central directory record ${i}`);
      const record: CentralRecord = {
        name: new TextDecoder().decode(this.bytes.subarray(at + 46, at + 46 + nameLength)),
        flags: this.u16(at + 8),
        method: this.u16(at + 10),
        crc: this.u32(at + 16),
        compressedSize: this.u32(at + 20),
        size: this.u32(at + 24),
        localHeaderOffset: this.u32(at + 42),
      };
      this.applyZip64Extra(record, at + 46 + nameLength, extraLength);
      records.push(record);
      at += 46 + nameLength + extraLength + commentLength;
    }
    return records;
  }

  /** Replaces each 0xffffffff field by its 64-bit value from the ZIP64 extra block, in APPNOTE order. */
  private applyZip64Extra(record: CentralRecord, extraStart: number, extraLength: number): void {
    const fields = (['size', 'compressedSize', 'localHeaderOffset'] as const).filter((f) => record[f] === 0xffffffff);
    if (fields.length === 0) return;
    for (let at = extraStart; at + 4 <= extraStart + extraLength; at += 4 + this.u16(at + 2)) {
      if (this.u16(at) !== 0x0001) continue;
      if (this.u16(at + 2) < 8 * fields.length) throw this.corrupt(`entry '${record.name}': ZIP64 extra field too short for ${fields.join(', ')}`);
      fields.forEach((field, k) => (record[field] = this.u64(at + 4 + 8 * k)));
      return;
    }
    throw this.corrupt(`entry '${record.name}': sizes are 0xffffffff but there is no ZIP64 extra field`);
  }

  entryData(record: CentralRecord): Uint8Array {
    const { name, flags, method, localHeaderOffset } = record;
    if (flags & 0x1) throw new IoError('UNSUPPORTED', `entry '${name}' is encrypted; encrypted zip entries are not supported`, { file: this.file });
    if (!(method in METHODS)) {
      const valid = Object.entries(METHODS).map(([id, label]) => `${id} (${label})`).join(', ');
      throw new IoError('UNSUPPORTED', `entry '${name}' uses compression method ${method}; supported methods are ${valid}`, { file: this.file });
    }
    this.need(localHeaderOffset, 30, `local header of '${name}'`);
    if (this.u32(localHeaderOffset) !== SIG.local) throw this.corrupt(`entry '${name}': no local header at byte ${localHeaderOffset}`);
    const start = localHeaderOffset + 30 + this.u16(localHeaderOffset + 26) + this.u16(localHeaderOffset + 28);
    this.need(start, record.compressedSize, `data of '${name}'`);
    const stored = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + start, record.compressedSize); // a plain view, even of a Buffer
    const data = method === 0 ? stored : this.inflate(name, stored);
    if (data.byteLength !== record.size) throw this.corrupt(`entry '${name}': expected ${record.size} bytes, got ${data.byteLength}`);
    const crc = crc32(data);
    if (crc !== record.crc) throw this.corrupt(`entry '${name}': CRC-32 is ${hex(crc)}, expected ${hex(record.crc)}`);
    return data;
  }

  private inflate(name: string, deflated: Uint8Array): Uint8Array {
    try {
      const out = inflateRawSync(deflated);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (cause) {
      throw this.corrupt(`entry '${name}': deflate stream is invalid (${(cause as Error).message})`, cause);
    }
  }
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
