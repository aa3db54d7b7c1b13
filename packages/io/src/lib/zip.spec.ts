import { crc32, deflateRawSync } from 'node:zlib';
import { readZipEntries } from './zip';
import { catchError } from '../../test/support/errors';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString();

/**
 * A tiny zip writer for the tests (APPNOTE 4.3): local headers + data, central directory, end
 * record; with `zip64`, every size and offset moves to ZIP64 extra fields and a ZIP64 end record.
 */
function makeZip(entries: { name: string; data: Uint8Array; method: 0 | 8 }[], { zip64 = false, comment = '' } = {}): Uint8Array {
  const le = (bits: 16 | 32 | 64, n: number) => {
    const b = Buffer.alloc(bits / 8);
    if (bits === 16) b.writeUInt16LE(n);
    else if (bits === 32) b.writeUInt32LE(n);
    else b.writeBigUInt64LE(BigInt(n));
    return b;
  };
  const cap32 = (n: number) => le(32, zip64 ? 0xffffffff : n);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data, method } of entries) {
    const stored = method === 8 ? deflateRawSync(data) : Buffer.from(data);
    const nameBytes = Buffer.from(name);
    const common = [le(16, 45), le(16, 0), le(16, method), le(32, 0), le(32, crc32(data))];
    const extra = zip64 ? Buffer.concat([le(16, 1), le(16, 24), le(64, data.byteLength), le(64, stored.byteLength), le(64, offset)]) : Buffer.alloc(0);
    const local = Buffer.concat([le(32, 0x04034b50), ...common, le(32, stored.byteLength), le(32, data.byteLength), le(16, nameBytes.byteLength), le(16, 0), nameBytes, stored]);
    centrals.push(
      Buffer.concat([le(32, 0x02014b50), le(16, 45), ...common, cap32(stored.byteLength), cap32(data.byteLength), le(16, nameBytes.byteLength), le(16, extra.byteLength)]),
      Buffer.concat([le(16, 0), le(16, 0), le(16, 0), le(32, 0), cap32(offset), nameBytes, extra]),
    );
    locals.push(local);
    offset += local.byteLength;
  }
  const directory = Buffer.concat(centrals);
  const n = entries.length;
  const end64 = zip64
    ? [le(32, 0x06064b50), le(64, 44), le(16, 45), le(16, 45), le(32, 0), le(32, 0), le(64, n), le(64, n), le(64, directory.byteLength), le(64, offset)]
    : [];
  const locator = zip64 ? [le(32, 0x07064b50), le(32, 0), le(64, offset + directory.byteLength), le(32, 1)] : [];
  const end = [le(32, 0x06054b50), le(16, 0), le(16, 0), le(16, zip64 ? 0xffff : n), le(16, zip64 ? 0xffff : n), le(32, directory.byteLength), cap32(offset)];
  return new Uint8Array(Buffer.concat([...locals, directory, ...end64, ...locator, ...end, le(16, comment.length), Buffer.from(comment)]));
}

const HELLO = new TextEncoder().encode('hello '.repeat(50));
const BYTES = new Uint8Array([0, 1, 2, 255]);

describe('readZipEntries', () => {
  it.each([
    { name: 'stored and deflated', options: {} },
    { name: 'ZIP64 records and extra fields', options: { zip64: true } },
    { name: 'a trailing comment', options: { comment: 'made by a test, PK\x05\x06 inside the comment' } },
  ])('reads $name', ({ options }) => {
    const zip = makeZip(
      [
        { name: 'archive/data.pkl', data: HELLO, method: 8 },
        { name: 'archive/data/0', data: BYTES, method: 0 },
        { name: 'archive/empty', data: new Uint8Array(0), method: 0 },
      ],
      options,
    );
    const entries = readZipEntries(zip);
    expect([...entries.keys()]).toEqual(['archive/data.pkl', 'archive/data/0', 'archive/empty']);
    expect(text(entries.get('archive/data.pkl'))).toBe('hello '.repeat(50));
    expect([...(entries.get('archive/data/0') ?? [])]).toEqual([0, 1, 2, 255]);
    expect(entries.get('archive/data/0')?.buffer).toBe(zip.buffer); // stored: a view, no copy
    expect(entries.get('archive/empty')?.byteLength).toBe(0);
  });

  it('reads what Info-ZIP writes with -fz (forced ZIP64: only the 0xffffffff fields in the extra block)', () => {
    // printf 'hello hello hello hello\n' > a.txt; printf 'xy' > b.bin; zip -X -q -fz z64.zip a.txt b.bin; xxd -p z64.zip
    const zip = hex(`
      504b03042d000000080042bb7a5d0088590bffffffffffffffff05001400612e7478740100100018000000000000000b00000000000000cb48cdc9c957c8
      4027b900504b03042d000000000042bb7a5d9928e68fffffffffffffffff05001400622e62696e01001000020000000000000002000000000000007879504b
      01021e032d000000080042bb7a5d0088590b0b000000ffffffff05000c000000000001000000a48100000000612e747874010008001800000000000000504b
      01021e032d000000000042bb7a5d9928e68f02000000ffffffff05000c000000000001000000a48142000000622e62696e010008000200000000000000504b
      06062c000000000000001e032d000000000000000000020000000000000002000000000000007e000000000000007b00000000000000504b060700000000f9
      0000000000000001000000504b050600000000020002007e000000ffffffff0000`);
    const entries = readZipEntries(zip);
    expect(text(entries.get('a.txt'))).toBe('hello hello hello hello\n');
    expect(text(entries.get('b.bin'))).toBe('xy');
  });

  it('reads entries that are views into a larger buffer (as a Buffer from readFile may be)', () => {
    const zip = makeZip([{ name: 'a', data: BYTES, method: 0 }]);
    const inside = new Uint8Array(zip.byteLength + 7).subarray(3, 3 + zip.byteLength);
    inside.set(zip);
    expect([...(readZipEntries(inside).get('a') ?? [])]).toEqual([0, 1, 2, 255]);
  });
});

describe('readZipEntries errors', () => {
  const good = makeZip([
    { name: 'a.txt', data: HELLO, method: 8 },
    { name: 'b.bin', data: BYTES, method: 0 },
  ]);
  const patched = (at: number, bytes: number[], zip = good) => {
    const copy = zip.slice();
    copy.set(bytes, at);
    return copy;
  };
  const centralAt = (zip: Uint8Array, index: number) => {
    let at = Buffer.from(zip).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    for (let i = 0; i < index; i++) at = Buffer.from(zip).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 1);
    return at;
  };
  const bIn = (zip: Uint8Array) => Buffer.from(zip).indexOf(Buffer.from('b.bin')) + 5; // b.bin's data, after its local name

  const CASES: { name: string; zip: Uint8Array; code: string; message: RegExp }[] = [
    { name: 'empty file', zip: new Uint8Array(0), code: 'CORRUPT_FILE', message: /not a zip archive or truncated/ },
    { name: 'truncated (end record cut off)', zip: good.subarray(0, good.byteLength - 10), code: 'CORRUPT_FILE', message: /no end-of-central-directory record/ },
    { name: 'truncated (front cut off)', zip: good.subarray(60), code: 'CORRUPT_FILE', message: /central directory at byte \d+ needs \d+ bytes/ },
    { name: 'flipped data byte', zip: patched(bIn(good), [0x7f]), code: 'CORRUPT_FILE', message: /entry 'b.bin': CRC-32 is 0x[0-9a-f]{8}, expected 0x[0-9a-f]{8}/ },
    { name: 'garbled deflate stream', zip: patched(Buffer.from(good).indexOf(Buffer.from('a.txt')) + 5, [0xff, 0xff, 0xff]), code: 'CORRUPT_FILE', message: /entry 'a.txt': deflate stream is invalid/ },
    { name: 'bad central signature', zip: patched(centralAt(good, 1), [0]), code: 'CORRUPT_FILE', message: /central directory record 1 at byte \d+ has a bad signature/ },
    { name: 'unknown method', zip: patched(centralAt(good, 1) + 10, [14, 0]), code: 'UNSUPPORTED', message: /entry 'b.bin' uses compression method 14; supported methods are 0 \(stored\), 8 \(deflate\)/ },
    { name: 'encrypted entry', zip: patched(centralAt(good, 0) + 8, [1, 0]), code: 'UNSUPPORTED', message: /entry 'a.txt' is encrypted/ },
    { name: 'local header offset wrong', zip: patched(centralAt(good, 1) + 42, [1, 0, 0, 0]), code: 'CORRUPT_FILE', message: /entry 'b.bin': no local header at byte 1/ },
    { name: 'ZIP64 sizes without extra', zip: patched(centralAt(good, 1) + 20, [0xff, 0xff, 0xff, 0xff]), code: 'CORRUPT_FILE', message: /entry 'b.bin': sizes are 0xffffffff but there is no ZIP64 extra field/ },
  ];
  it.each(CASES)('$name', ({ zip, code, message }) => {
    const error = catchError(() => readZipEntries(zip, 'x.zip'));
    expect(error).toMatchObject({ code, file: 'x.zip' });
    expect(error.message).toMatch(message);
  });
});
