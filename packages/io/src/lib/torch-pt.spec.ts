import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { PythonOrderedDict } from './pickle';
import { parseSafetensors, type Tensor, type TensorData } from './safetensors';
import { parseTorchStateDict, readTorchStateDict, stateDictFromEntries } from './torch-pt';
import { readZipEntries } from './zip';
import { catchError } from '../../test/support/errors';

const FIXTURES = path.join(__dirname, '../../test/fixtures');
const fixture = (name: string) => readFile(path.join(FIXTURES, name));
const bytesOf = (data: ArrayBufferView) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

describe.each(['ae_topk4_norm', 'ae_topk4_nonorm'])('%s.pt', (stem) => {
  it('holds, bit for bit, the tensors of its .tensors.safetensors twin, in the same order', async () => {
    const pt = await fixture(`${stem}.pt`);
    const { tensors } = parseTorchStateDict(pt, `${stem}.pt`);
    const reference = parseSafetensors(await fixture(`${stem}.tensors.safetensors`)).tensors;
    expect([...tensors.keys()]).toEqual([...reference.keys()]);
    for (const [name, want] of reference) {
      const got = tensors.get(name) as Tensor;
      expect({ name, dtype: got.dtype, shape: got.shape }).toEqual({ name, dtype: want.dtype, shape: want.shape });
      expect(bytesOf(got.data).equals(bytesOf(want.data))).toBe(true);
      expect(got.data.buffer).toBe(pt.buffer); // contiguous: a view of the file's bytes
    }
  });

  it('keeps the non-tensor entries (sae/manifest.json state_dict_keys)', async () => {
    const { values } = await readTorchStateDict(path.join(FIXTURES, `${stem}.pt`));
    expect(values).toEqual(
      new Map<string, unknown>([
        ['activation.k', 4],
        ['activation.postact_fn', 'ReLU'],
        ['activation', 'TopK'],
        ['activation_state_dict', new PythonOrderedDict([['k', 4], ['postact_fn', 'ReLU']])],
      ]),
    );
  });
});

/** Pickle protocol 2 opcodes, written from the pickletools table, to build state dicts by hand. */
const P = {
  str: (s: string) => [0x58, ...le32(Buffer.byteLength(s)), ...Buffer.from(s)], // BINUNICODE
  int: (n: number) => [0x4a, ...le32(n)], // BININT
  global: (name: string) => [0x63, ...Buffer.from(name.replace(/\.([^.]*)$/, '\n$1\n'))], // GLOBAL
  tuple: (...items: number[][]) => [0x28, ...items.flat(), 0x74], // MARK ... TUPLE
  call: (fn: number[], ...args: number[][]) => [...fn, ...P.tuple(...args), 0x52], // REDUCE
};
function le32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return [...b];
}

/** `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())` */
function tensorOp(type: string, key: string, numel: number, offset: number, size: number[], stride: number[]): number[] {
  const storage = [...P.tuple(P.str('storage'), P.global(`torch.${type}`), P.str(key), P.str('cpu'), P.int(numel)), 0x51]; // BINPERSID
  const hooks = P.call(P.global('collections.OrderedDict'));
  return P.call(P.global('torch._utils._rebuild_tensor_v2'), storage, P.int(offset), P.tuple(...size.map(P.int)), P.tuple(...stride.map(P.int)), [0x89], hooks);
}

/** A torch archive's entries: `sd/data.pkl` = OrderedDict(items), `sd/data/<key>` = storages. */
function archive(items: Record<string, number[]>, storages: Record<string, ArrayBufferView>): Map<string, Uint8Array> {
  const body = Object.entries(items).flatMap(([key, value]) => [...P.str(key), ...value]);
  const pickle = new Uint8Array([0x80, 0x02, ...P.call(P.global('collections.OrderedDict')), 0x28, ...body, 0x75, 0x2e]); // SETITEMS STOP
  return new Map<string, Uint8Array>([['sd/data.pkl', pickle], ...Object.entries(storages).map(([key, data]) => [`sd/data/${key}`, new Uint8Array(bytesOf(data))] as [string, Uint8Array])]);
}

describe('stateDictFromEntries layouts', () => {
  const SIX = new Float32Array([0, 1, 2, 3, 4, 5]);
  const CASES: { name: string; offset: number; size: number[]; stride: number[]; expected: number[]; view: boolean }[] = [
    { name: 'contiguous [2,3]', offset: 0, size: [2, 3], stride: [3, 1], expected: [0, 1, 2, 3, 4, 5], view: true },
    { name: 'transposed [3,2] (stride [1,3])', offset: 0, size: [3, 2], stride: [1, 3], expected: [0, 3, 1, 4, 2, 5], view: false },
    { name: 'storage offset 2, [2]', offset: 2, size: [2], stride: [1], expected: [2, 3], view: true },
    { name: 'offset 1, rows of a wider matrix [2,2] (stride [3,1])', offset: 1, size: [2, 2], stride: [3, 1], expected: [1, 2, 4, 5], view: false },
    { name: 'broadcast rows [2,3] (stride [0,1])', offset: 0, size: [2, 3], stride: [0, 1], expected: [0, 1, 2, 0, 1, 2], view: false },
    { name: 'every other element [3] (stride [2])', offset: 0, size: [3], stride: [2], expected: [0, 2, 4], view: false },
    { name: 'size-1 dim with any stride [1,3] (stride [99,1])', offset: 0, size: [1, 3], stride: [99, 1], expected: [0, 1, 2], view: true },
    { name: 'scalar at offset 4', offset: 4, size: [], stride: [], expected: [4], view: true },
    { name: 'empty [0,3]', offset: 0, size: [0, 3], stride: [3, 1], expected: [], view: true },
  ];
  it.each(CASES)('$name', ({ offset, size, stride, expected, view }) => {
    const entries = archive({ t: tensorOp('FloatStorage', '0', 6, offset, size, stride) }, { '0': SIX });
    const t = stateDictFromEntries(entries).tensors.get('t') as Tensor;
    expect({ dtype: t.dtype, shape: t.shape, data: [...t.data] }).toEqual({ dtype: 'F32', shape: size, data: expected });
    expect(t.data.buffer === entries.get('sd/data/0')?.buffer).toBe(view);
  });

  it('shares one storage between tensors, and unwraps _rebuild_parameter', () => {
    const parameter = P.call(P.global('torch._utils._rebuild_parameter'), tensorOp('FloatStorage', '0', 6, 3, [3], [1]), [0x89], P.call(P.global('collections.OrderedDict')));
    const { tensors, values } = stateDictFromEntries(archive({ a: tensorOp('FloatStorage', '0', 6, 0, [3], [1]), b: parameter, n: P.int(7) }, { '0': SIX }));
    expect([...(tensors.get('a')?.data ?? [])]).toEqual([0, 1, 2]);
    expect([...(tensors.get('b')?.data ?? [])]).toEqual([3, 4, 5]);
    expect(tensors.get('a')?.data.buffer).toBe(tensors.get('b')?.data.buffer);
    expect(values).toEqual(new Map([['n', 7]]));
  });
});

describe('stateDictFromEntries storage types', () => {
  const CASES: { type: string; storage: ArrayBufferView; dtype: string; expected: TensorData }[] = [
    { type: 'HalfStorage', storage: new Uint16Array([0x3c00, 0xc000]), dtype: 'F16', expected: new Uint16Array([0x3c00, 0xc000]) },
    { type: 'BFloat16Storage', storage: new Uint16Array([0x3f80, 0xc040]), dtype: 'BF16', expected: new Uint16Array([0x3f80, 0xc040]) },
    { type: 'IntStorage', storage: new Int32Array([-7, 7]), dtype: 'I32', expected: new Int32Array([-7, 7]) },
    { type: 'ByteStorage', storage: new Uint8Array([0, 255]), dtype: 'U8', expected: new Uint8Array([0, 255]) },
    { type: 'LongStorage', storage: new BigInt64Array([-1n, 2n ** 40n]), dtype: 'I64', expected: new BigInt64Array([-1n, 2n ** 40n]) },
    { type: 'DoubleStorage', storage: new Float64Array([1.5, 0.1]), dtype: 'F32', expected: new Float32Array([1.5, Math.fround(0.1)]) },
  ];
  it.each(CASES)('$type → $dtype', ({ type, storage, dtype, expected }) => {
    const t = stateDictFromEntries(archive({ t: tensorOp(type, 'k', 2, 0, [2], [1]) }, { k: storage })).tensors.get('t') as Tensor;
    expect(t.dtype).toBe(dtype);
    expect(t.data.constructor).toBe(expected.constructor);
    expect(bytesOf(t.data).equals(bytesOf(expected))).toBe(true);
  });

  it('gathers bigint elements for a transposed Long tensor', () => {
    const t = stateDictFromEntries(archive({ t: tensorOp('LongStorage', 'k', 4, 0, [2, 2], [1, 2]) }, { k: new BigInt64Array([0n, 1n, 2n, 3n]) })).tensors.get('t');
    expect(t?.data).toEqual(new BigInt64Array([0n, 2n, 1n, 3n]));
  });
});

/** The .pt fixture with `edit` applied to a stored entry, its CRC-32 in the central directory updated. */
function editEntry(pt: Uint8Array, name: string, edit: (data: Uint8Array) => void): Uint8Array {
  const copy = pt.slice();
  const data = readZipEntries(copy).get(name) as Uint8Array; // stored entries are views into `copy`
  edit(data);
  const centralName = Buffer.from(copy).lastIndexOf(Buffer.from(name)); // the central record's copy of the name
  new DataView(copy.buffer).setUint32(centralName - 46 + 16, crc32(data), true);
  return copy;
}

describe('torch .pt errors', () => {
  const PKL = 'ae_topk4_norm/data.pkl';
  const errorOf = async (make: (pt: Uint8Array) => Uint8Array) => catchError(() => parseTorchStateDict(make(new Uint8Array(fixtureBytes)), 'x.pt'));
  let fixtureBytes: Buffer;
  beforeAll(async () => {
    fixtureBytes = await fixture('ae_topk4_norm.pt');
  });

  it.each([
    { name: 'truncated .pt', make: (pt: Uint8Array) => pt.subarray(0, 100_000), code: 'CORRUPT_FILE', message: /no end-of-central-directory record/ },
    { name: 'a flipped storage byte (CRC-32)', make: (pt: Uint8Array) => patch(pt, 80_000, 0x55), code: 'CORRUPT_FILE', message: /ae_topk4_norm\/data\/6': CRC-32/ },
    { name: 'garbled pickle', make: (pt: Uint8Array) => editEntry(pt, PKL, (d) => d.fill(0xee, 100, 110)), code: 'CORRUPT_FILE', message: /byte 0xee is not a pickle opcode/ },
    { name: 'unknown global', make: (pt: Uint8Array) => editEntry(pt, PKL, (d) => d.set(Buffer.from('QInt8Storage'), 107)), code: 'UNSUPPORTED', message: /global 'torch.QInt8Storage' is not supported; supported globals are collections.OrderedDict, torch._utils._rebuild_tensor_v2, / },
    { name: 'legacy (pre-zip) format', make: () => new Uint8Array([0x80, 0x02, 0x8a, 0x0a]), code: 'UNSUPPORTED', message: /legacy/ },
  ])('$name', async ({ make, code, message }) => {
    const error = await errorOf(make);
    expect(error).toMatchObject({ code, file: 'x.pt' });
    expect(error.message).toMatch(message);
  });

  const F32 = new Float32Array(4);
  it.each([
    { name: 'missing storage entry', entries: archive({ t: tensorOp('FloatStorage', '0', 4, 0, [4], [1]) }, {}), code: 'CORRUPT_FILE', message: /storage '0' \(FloatStorage\) has no data\/0 entry/ },
    { name: 'storage size not numel × element', entries: archive({ t: tensorOp('FloatStorage', '0', 5, 0, [4], [1]) }, { '0': F32 }), code: 'CORRUPT_FILE', message: /FloatStorage of 5 elements needs 20 bytes, entry has 16/ },
    { name: 'strides past the storage', entries: archive({ t: tensorOp('FloatStorage', '0', 4, 1, [2, 2], [2, 1]) }, { '0': F32 }), code: 'CORRUPT_FILE', message: /offset 1, size \[2,2\], stride \[2,1\] reach element 4, storage has 4/ },
    { name: 'no data.pkl', entries: new Map([['sd/version', new Uint8Array([0x33])]]), code: 'CORRUPT_FILE', message: /expected one '<stem>\/data.pkl' entry, found 0; entries are sd\/version/ },
    { name: 'big-endian byteorder', entries: new Map([...archive({}, {}), ['sd/byteorder', new Uint8Array(Buffer.from('big'))]]), code: 'UNSUPPORTED', message: /byteorder is 'big'/ },
    { name: 'a list, not a state dict', entries: new Map([['sd/data.pkl', new Uint8Array([0x80, 0x02, 0x5d, 0x2e])]]), code: 'UNSUPPORTED', message: /expected a state_dict .* got a list/ },
  ])('$name', ({ entries, code, message }) => {
    const error = catchError(() => stateDictFromEntries(entries, 'x.pt'));
    expect(error).toMatchObject({ code, file: 'x.pt' });
    expect(error.message).toMatch(message);
  });
});

function patch(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] ^= value;
  return copy;
}
