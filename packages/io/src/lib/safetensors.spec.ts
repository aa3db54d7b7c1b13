import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseSafetensors, readSafetensors, serializeSafetensors, toFloat32, writeSafetensors, type Tensor } from './safetensors';
import { catchError } from '../../test/support/errors';

const FIXTURES = path.join(__dirname, '../../test/fixtures');
const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const bytesOf = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const u16 = (...xs: number[]) => new Uint16Array(xs);

/**
 * Written by the reference implementation (Python `safetensors` 0.8.0, numpy 2.4):
 *   arrs = {'u8': np.array([1, 2, 255], np.uint8), 'i64': np.array([-1, 2**40], np.int64),
 *           'f16': np.array([0x3c00, 0xc000, 0x3800], np.uint16), 'bf16': np.array([0x3f80, 0xc040], np.uint16),
 *           'f32': np.array([[1.5, -0.25]], np.float32), 'i32': np.array([-7, 7], np.int32)}
 *   names = {'u8': 'uint8', 'i64': 'int64', 'f16': 'float16', 'bf16': 'bfloat16', 'f32': 'float32', 'i32': 'int32'}
 *   spec = {k: TensorSpec(dtype=names[k], shape=a.shape, data_ptr=a.ctypes.data, data_len=a.nbytes) for k, a in arrs.items()}
 *   bytes(safetensors.serialize(spec, metadata={'format': 'pt'})).hex()
 */
const PYTHON_FILE = hex(`
  78010000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c22693634223a7b226474797065223a22493634222c
  227368617065223a5b325d2c22646174615f6f666673657473223a5b302c31365d7d2c22663332223a7b226474797065223a22463332222c2273686170
  65223a5b312c325d2c22646174615f6f666673657473223a5b31362c32345d7d2c22693332223a7b226474797065223a22493332222c22736861706522
  3a5b325d2c22646174615f6f666673657473223a5b32342c33325d7d2c2262663136223a7b226474797065223a2242463136222c227368617065223a5b
  325d2c22646174615f6f666673657473223a5b33322c33365d7d2c22663136223a7b226474797065223a22463136222c227368617065223a5b335d2c22
  646174615f6f666673657473223a5b33362c34325d7d2c227538223a7b226474797065223a225538222c227368617065223a5b335d2c22646174615f6f
  666673657473223a5b34322c34355d7d7d20ffffffffffffffff00000000000100000000c03f000080bef9ffffff07000000803f40c0003c00c000380102ff`);

/** The same tensors as ours, in insertion order different from the file's. */
const PYTHON_TENSORS: Record<string, Tensor> = {
  u8: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 255]) },
  i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-1n, 2n ** 40n]) },
  f16: { dtype: 'F16', shape: [3], data: u16(0x3c00, 0xc000, 0x3800) },
  bf16: { dtype: 'BF16', shape: [2], data: u16(0x3f80, 0xc040) },
  f32: { dtype: 'F32', shape: [1, 2], data: new Float32Array([1.5, -0.25]) },
  i32: { dtype: 'I32', shape: [2], data: new Int32Array([-7, 7]) },
};

function expectSameTensors(actual: Map<string, Tensor>, expected: Record<string, Tensor>) {
  expect([...actual.keys()].sort()).toEqual(Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = actual.get(name) as Tensor;
    expect({ name, dtype: got.dtype, shape: got.shape }).toEqual({ name, dtype: want.dtype, shape: want.shape });
    expect(got.data.constructor).toBe(want.data.constructor);
    expect(bytesOf(got).equals(bytesOf(want))).toBe(true);
  }
}

describe('safetensors against the reference library', () => {
  it('serializes byte-identically to Python safetensors (dtype-then-name order, padding, metadata)', () => {
    expect(Buffer.from(serializeSafetensors(PYTHON_TENSORS, { format: 'pt' })).toString('hex')).toBe(Buffer.from(PYTHON_FILE).toString('hex'));
  });

  it('parses the reference file, in file order, as zero-copy views', () => {
    const { tensors, metadata } = parseSafetensors(PYTHON_FILE);
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.keys()]).toEqual(['i64', 'f32', 'i32', 'bf16', 'f16', 'u8']);
    expectSameTensors(tensors, PYTHON_TENSORS);
    for (const t of tensors.values()) expect(t.data.buffer).toBe(PYTHON_FILE.buffer);
  });
});

describe('safetensors round trip', () => {
  const nanBits = new Float32Array(new Uint32Array([0x7fc00001, 0x80000000, 0x00000001, 0x7f800000]).buffer);
  const every: Record<string, Tensor> = {
    'f32.edge': { dtype: 'F32', shape: [2, 2], data: nanBits },
    'f16.w': { dtype: 'F16', shape: [3], data: u16(0x7e01, 0x8000, 0x0001) },
    'bf16.w': { dtype: 'BF16', shape: [1, 3], data: u16(0xff80, 0x3f80, 0x0001) },
    'i64.x': { dtype: 'I64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n]) },
    'i32.x': { dtype: 'I32', shape: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
    'u8.odd': { dtype: 'U8', shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) },
    scalar: { dtype: 'F32', shape: [], data: new Float32Array([3.25]) },
    empty: { dtype: 'I64', shape: [0, 3], data: new BigInt64Array(0) },
  };
  const metadata = { format: 'pt', 'naïve "quoted"\n': 'ünïcode ✓' };

  it('keeps every dtype, shape, bit and metadata entry', () => {
    const parsed = parseSafetensors(serializeSafetensors(new Map(Object.entries(every)), metadata));
    expectSameTensors(parsed.tensors, every);
    expect(parsed.metadata).toEqual(metadata);
  });

  it('copies, with the same bits, when the data is misaligned in memory', () => {
    const file = serializeSafetensors(every);
    const shifted = new Uint8Array(file.byteLength + 1).subarray(1);
    shifted.set(file);
    const parsed = parseSafetensors(shifted);
    expectSameTensors(parsed.tensors, every);
    expect(parsed.tensors.get('f32.edge')?.data.buffer).not.toBe(shifted.buffer);
    expect(parsed.metadata).toEqual({});
  });

  it('writes atomically and reads back', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'safetensors-'));
    try {
      const file = path.join(dir, 'x.safetensors');
      await writeSafetensors(file, every, metadata);
      expect(await readdir(dir)).toEqual(['x.safetensors']);
      const parsed = await readSafetensors(file);
      expectSameTensors(parsed.tensors, every);
      expect(parsed.metadata).toEqual(metadata);
      await expect(readSafetensors(path.join(dir, 'missing.safetensors'))).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the reference fixture', () => {
  it('ae_topk4_norm.tensors.safetensors holds the 7 autoencoder tensors (test/fixtures README)', async () => {
    const { tensors, metadata } = parseSafetensors(await readFile(path.join(FIXTURES, 'ae_topk4_norm.tensors.safetensors')));
    const summary = Object.fromEntries([...tensors].map(([name, t]) => [name, `${t.dtype}[${t.shape}]`]));
    expect(summary).toEqual({
      pre_bias: 'F32[64]',
      latent_bias: 'F32[256]',
      stats_last_nonzero: 'I64[256]',
      latents_activation_frequency: 'F32[256]',
      latents_mean_square: 'F32[256]',
      'encoder.weight': 'F32[256,64]',
      'decoder.weight': 'F32[64,256]',
    });
    expect(metadata).toEqual({});
  });
});

describe('toFloat32', () => {
  // numpy reference: h = np.array([...], np.uint16); h.view(np.float16).astype(np.float32).view(np.uint32)
  const half = [0x0000, 0x8000, 0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe00];
  const float = [
    0x00000000, 0x80000000, 0x3f800000, 0xc0000000, 0x3eaaa000, 0x477fe000, 0x33800000, 0xb3800000, 0x387fc000, 0x38800000,
    0x7f800000, 0xff800000, 0x7fc00000, 0x7f802000, 0xffc00000,
  ];
  const bits = (f: Float32Array) => [...new Uint32Array(f.buffer, f.byteOffset, f.length)];

  it('widens F16 exactly as numpy does (zeros, subnormals, max, Inf, NaN payloads)', () => {
    expect(bits(toFloat32({ dtype: 'F16', shape: [half.length], data: new Uint16Array(half) }))).toEqual(float);
  });
  it('widens BF16 as the top half of a float32', () => {
    expect(bits(toFloat32({ dtype: 'BF16', shape: [3], data: u16(0x3f80, 0xc040, 0x7fc1) }))).toEqual([0x3f800000, 0xc0400000, 0x7fc10000]);
  });
  it('returns F32 data itself and converts integers by value', () => {
    const data = new Float32Array([1, 2]);
    expect(toFloat32({ dtype: 'F32', shape: [2], data })).toBe(data);
    expect([...toFloat32({ dtype: 'I64', shape: [2], data: new BigInt64Array([-3n, 2n ** 40n]) })]).toEqual([-3, 2 ** 40]);
    expect([...toFloat32({ dtype: 'U8', shape: [1], data: new Uint8Array([255]) })]).toEqual([255]);
  });
});

describe('safetensors errors', () => {
  /** A file with this header (JSON, unpadded) and `dataBytes` zero bytes of data. */
  function file(header: unknown, dataBytes = 0): Uint8Array {
    const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
    const out = new Uint8Array(8 + json.byteLength + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
    out.set(json, 8);
    return out;
  }
  const w = (over: object) => ({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8], ...over } });

  const readCases: { name: string; bytes: Uint8Array; code: string; message: RegExp }[] = [
    { name: 'shorter than the length field', bytes: new Uint8Array(5), code: 'CORRUPT_FILE', message: /truncated: 5 bytes/ },
    { name: 'header length beyond the file', bytes: file(w({}), 8).subarray(0, 20), code: 'CORRUPT_FILE', message: /header length \d+ runs past the end/ },
    { name: 'header length 2^64 - 1', bytes: hex('ffffffffffffffff7b7d'), code: 'CORRUPT_FILE', message: /runs past the end/ },
    { name: 'bad JSON', bytes: file('{"w": {'), code: 'CORRUPT_FILE', message: /not valid UTF-8 JSON/ },
    { name: 'header not an object', bytes: file('[1]'), code: 'CORRUPT_FILE', message: /must be a JSON object, got array/ },
    { name: 'offsets past the data', bytes: file(w({ data_offsets: [0, 8] }), 4), code: 'CORRUPT_FILE', message: /tensor 'w': data_offsets \[0, 8\] outside the data section of 4 bytes/ },
    { name: 'offsets reversed', bytes: file(w({ data_offsets: [8, 0] }), 8), code: 'CORRUPT_FILE', message: /tensor 'w': data_offsets \[8, 0\]/ },
    { name: 'offsets not shape × dtype', bytes: file(w({ shape: [3] }), 8), code: 'CORRUPT_FILE', message: /tensor 'w': shape \[3\] × F32 needs 12 bytes but data_offsets \[0, 8\] span 8/ },
    { name: 'offsets malformed', bytes: file(w({ data_offsets: [0] }), 8), code: 'CORRUPT_FILE', message: /tensor 'w': data_offsets must be \[begin, end\]/ },
    { name: 'shape malformed', bytes: file(w({ shape: [-2] }), 8), code: 'CORRUPT_FILE', message: /tensor 'w': shape must be/ },
    { name: 'unknown dtype', bytes: file(w({ dtype: 'F64', shape: [1] }), 8), code: 'UNSUPPORTED', message: /tensor 'w' has dtype 'F64'; supported dtypes are I64, F32, I32, BF16, F16, U8/ },
    { name: 'metadata not strings', bytes: file({ __metadata__: { n: 1 } }), code: 'CORRUPT_FILE', message: /__metadata__ must map strings to strings/ },
  ];
  it.each(readCases)('parse rejects $name', ({ bytes, code, message }) => {
    const error = catchError(() => parseSafetensors(bytes, 'x.safetensors'));
    expect(error).toMatchObject({ code, file: 'x.safetensors' });
    expect(error.message).toMatch(message);
  });

  it('parse rejects the fixture truncated inside its data', async () => {
    const bytes = await readFile(path.join(FIXTURES, 'ae_topk4_norm.tensors.safetensors'));
    expect(catchError(() => parseSafetensors(bytes.subarray(0, bytes.byteLength - 100))).message).toMatch(/tensor 'decoder.weight': data_offsets/);
  });

  const writeCases: { name: string; tensor: Tensor; message: RegExp }[] = [
    { name: 'data shorter than shape', tensor: { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) }, message: /tensor 'w': shape \[2,3\] has 6 elements but data has 5/ },
    { name: 'wrong array for dtype', tensor: { dtype: 'I64', shape: [2], data: new Float32Array(2) }, message: /tensor 'w': dtype I64 needs a BigInt64Array, got Float32Array/ },
    { name: 'unknown dtype', tensor: { dtype: 'F64' as 'F32', shape: [1], data: new Float32Array(1) }, message: /tensor 'w': dtype must be one of I64, F32, I32, BF16, F16, U8, got 'F64'/ },
    { name: 'fractional shape', tensor: { dtype: 'U8', shape: [1.5], data: new Uint8Array(1) }, message: /tensor 'w': shape must be/ },
  ];
  it.each(writeCases)('serialize rejects $name', ({ tensor, message }) => {
    const error = catchError(() => serializeSafetensors({ w: tensor }));
    expect(error.code).toBe('BAD_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it('serialize rejects a tensor named __metadata__ and non-string metadata', () => {
    const t: Tensor = { dtype: 'U8', shape: [0], data: new Uint8Array(0) };
    expect(catchError(() => serializeSafetensors({ __metadata__: t })).code).toBe('BAD_ARGUMENT');
    expect(catchError(() => serializeSafetensors({ t }, { n: 1 as unknown as string })).message).toMatch(/metadata 'n' must be a string, got number/);
  });
});
