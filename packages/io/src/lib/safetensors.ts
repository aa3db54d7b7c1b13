/**
 * The safetensors format (Hugging Face), read and written byte for byte:
 *
 *   [u64 little-endian N] [N bytes of UTF-8 JSON header, space-padded to a multiple of 8] [data]
 *   header = { "__metadata__"?: { string: string },
 *              name: { "dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end] }, ... }
 *
 * `data_offsets` count bytes from the start of the data section; each tensor's bytes are raw
 * little-endian C-order elements, `end - begin = prod(shape) * bytesPerElement(dtype)`.
 * Typed arrays use the host byte order, which is little-endian on every platform Node ships for
 * but s390x/ppc64 big-endian; those are not supported.
 *
 * Writing follows the reference library (safetensors `tensor.rs` `prepare`): tensors sorted by
 * descending element size, then by name, so every tensor starts aligned for its element type;
 * `__metadata__` first; compact JSON. Its output and ours are byte-identical (see the spec).
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-fs';
import { IoError } from './errors';

/** Element types this package reads and writes. F16/BF16 stay raw bits (see `toFloat32`). */
export type DType = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8';

/** A tensor's elements: F32 → Float32Array, F16/BF16 → Uint16Array (bits), I64 → BigInt64Array, I32 → Int32Array, U8 → Uint8Array. */
export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

/** A dense, C-order tensor: `data.length === prod(shape)`. */
export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

/** What `parseSafetensors` returns: tensors in file (data offset) order, and `__metadata__` ({} if absent). */
export interface Safetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

interface TypedArrayClass {
  readonly BYTES_PER_ELEMENT: number;
  new (length: number): TensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData;
}

/** Typed array per dtype; `rank` is the reference library's Dtype enum order (larger is written first). */
const DTYPE_INFO: Record<DType, { array: TypedArrayClass; rank: number }> = {
  I64: { array: BigInt64Array, rank: 13 },
  F32: { array: Float32Array, rank: 11 },
  I32: { array: Int32Array, rank: 9 },
  BF16: { array: Uint16Array, rank: 8 },
  F16: { array: Uint16Array, rank: 7 },
  U8: { array: Uint8Array, rank: 1 },
};

/** Every supported dtype, for messages and validation. */
export const DTYPES = Object.keys(DTYPE_INFO) as DType[];

const isDType = (x: unknown): x is DType => typeof x === 'string' && Object.hasOwn(DTYPE_INFO, x);

/** Bytes per element of `dtype`. */
export const bytesPerElement = (dtype: DType): number => DTYPE_INFO[dtype].array.BYTES_PER_ELEMENT;

/** prod(shape); 1 for a scalar `[]`. */
export const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A zeroed array of `length` elements of `dtype`. */
export const allocateTensorData = (dtype: DType, length: number): TensorData => new DTYPE_INFO[dtype].array(length);

/**
 * `bytes` read as elements of `dtype`: a view (zero copy) when `bytes.byteOffset` is aligned for
 * the element type, else a copy. `bytes.byteLength` must be a multiple of the element size.
 */
export function tensorDataFromBytes(dtype: DType, bytes: Uint8Array): TensorData {
  const { array } = DTYPE_INFO[dtype];
  const length = bytes.byteLength / array.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % array.BYTES_PER_ELEMENT === 0) return new array(bytes.buffer, bytes.byteOffset, length);
  return new array(new Uint8Array(bytes).buffer, 0, length); // a copy (Buffer#slice would be a view)
}

/**
 * The tensor's values as float32. F32 returns `data` itself (no copy). F16 is widened exactly
 * (IEEE binary16 → binary32, NaN payloads kept); BF16 is the top half of a float32, so
 * `bits << 16`. Integer dtypes are converted by value (I64 beyond 2^24 rounds).
 */
export function toFloat32(tensor: Tensor): Float32Array {
  const { dtype, data } = tensor;
  if (dtype === 'F32') return data as Float32Array;
  const out = new Float32Array(data.length);
  if (dtype === 'F16' || dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    const halves = data as Uint16Array;
    for (let i = 0; i < halves.length; i++) bits[i] = dtype === 'BF16' ? halves[i] << 16 : halfToFloatBits(halves[i]);
    return out;
  }
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/** binary16 `sign|exp5|frac10` → binary32 bits `sign|exp8|frac23`; exponent bias 15 → 127. */
function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let frac = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (frac << 13)) >>> 0; // Inf, NaN
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (frac << 13)) >>> 0;
  if (frac === 0) return sign >>> 0; // ±0
  let e = -14; // subnormal half: normalise, as every half subnormal is a float32 normal
  while ((frac & 0x400) === 0) {
    frac <<= 1;
    e--;
  }
  return (sign | ((e + 127) << 23) | ((frac & 0x3ff) << 13)) >>> 0;
}

const corrupt = (message: string, file?: string): IoError => new IoError('CORRUPT_FILE', message, { file });

/**
 * Parses a whole safetensors file. Tensors are views of `bytes` where the data is aligned for
 * the element type, else copies.
 * @param bytes the file's bytes
 * @param file the file name, for error messages
 */
export function parseSafetensors(bytes: Uint8Array, file?: string): Safetensors {
  if (bytes.byteLength < 8) throw corrupt(`safetensors file truncated: ${bytes.byteLength} bytes, expected at least 8 (the header length)`, file);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.byteLength - 8)) {
    throw corrupt(`safetensors header length ${headerLength} runs past the end of the file (${bytes.byteLength} bytes)`, file);
  }
  const dataStart = 8 + Number(headerLength);
  const header = parseHeaderJson(bytes.subarray(8, dataStart), file);
  const data = bytes.subarray(dataStart);
  const metadata = readMetadata(header.__metadata__, file);
  const located: { name: string; begin: number; tensor: Tensor }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, begin, end } = readEntry(name, entry, data.byteLength, file);
    located.push({ name, begin, tensor: { dtype, shape, data: tensorDataFromBytes(dtype, data.subarray(begin, end)) } });
  }
  located.sort((a, b) => a.begin - b.begin); // file order, whatever JSON.parse did to integer-like keys
  return { tensors: new Map(located.map(({ name, tensor }) => [name, tensor])), metadata };
}

function parseHeaderJson(headerBytes: Uint8Array, file?: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (cause) {
    throw new IoError('CORRUPT_FILE', `safetensors header is not valid UTF-8 JSON: ${(cause as Error).message}`, { file, cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw corrupt(`safetensors header must be a JSON object, got ${Array.isArray(header) ? 'array' : String(header)}`, file);
  }
  return header as Record<string, unknown>;
}

function readMetadata(raw: unknown, file?: string): Record<string, string> {
  if (raw === undefined) return {};
  const ok = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.values(raw).every((v) => typeof v === 'string');
  if (!ok) throw corrupt(`safetensors __metadata__ must map strings to strings, got ${JSON.stringify(raw)}`, file);
  return { ...(raw as Record<string, string>) };
}

const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

function readEntry(name: string, entry: unknown, dataLength: number, file?: string) {
  const { dtype, shape, data_offsets: offsets } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  if (typeof dtype !== 'string') throw corrupt(`tensor '${name}': dtype must be a string, got ${JSON.stringify(dtype)}`, file);
  if (!isDType(dtype)) {
    throw new IoError('UNSUPPORTED', `tensor '${name}' has dtype '${dtype}'; supported dtypes are ${DTYPES.join(', ')}`, { file });
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw corrupt(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, file);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    throw corrupt(`tensor '${name}': data_offsets must be [begin, end] integers, got ${JSON.stringify(offsets)}`, file);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw corrupt(`tensor '${name}': data_offsets [${begin}, ${end}] outside the data section of ${dataLength} bytes`, file);
  }
  const expected = numelOf(shape) * bytesPerElement(dtype);
  if (end - begin !== expected) {
    throw corrupt(`tensor '${name}': shape [${shape}] × ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`, file);
  }
  return { dtype, shape: [...shape] as number[], begin, end };
}

/**
 * Serializes tensors (and optional string metadata, omitted when empty) as the reference library does.
 * @throws IoError 'BAD_ARGUMENT' when a tensor's dtype, shape or data do not agree (named).
 */
export function serializeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))];
  entries.forEach(([name, tensor]) => checkTensor(name, tensor));
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new IoError('BAD_ARGUMENT', `metadata '${key}' must be a string, got ${typeof value}`);
  }
  entries.sort(([an, a], [bn, b]) => DTYPE_INFO[b.dtype].rank - DTYPE_INFO[a.dtype].rank || Buffer.compare(Buffer.from(an), Buffer.from(bn)));

  const header: Record<string, unknown> = Object.keys(metadata).length > 0 ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const [name, { dtype, shape, data }] of entries) {
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerLength = Math.ceil(json.byteLength / 8) * 8; // padded with spaces so data starts 8-aligned
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, { data }] of entries) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

function checkTensor(name: string, tensor: Tensor): void {
  const bad = (what: string) => new IoError('BAD_ARGUMENT', `tensor '${name}': ${what}`);
  if (name === '__metadata__') throw bad(`the name '__metadata__' is reserved for metadata`);
  if (!isDType(tensor.dtype)) throw bad(`dtype must be one of ${DTYPES.join(', ')}, got '${String(tensor.dtype)}'`);
  if (!Array.isArray(tensor.shape) || !tensor.shape.every(isIndex)) {
    throw bad(`shape must be an array of non-negative integers, got ${JSON.stringify(tensor.shape)}`);
  }
  const { array } = DTYPE_INFO[tensor.dtype];
  if (!(tensor.data instanceof array)) throw bad(`dtype ${tensor.dtype} needs a ${array.name}, got ${tensor.data?.constructor?.name}`);
  const numel = numelOf(tensor.shape);
  if (tensor.data.length !== numel) throw bad(`shape [${tensor.shape}] has ${numel} elements but data has ${tensor.data.length}`);
}

/** Reads and parses a safetensors file. */
export async function readSafetensors(path: string): Promise<Safetensors> {
  return parseSafetensors(await readFileOrThrow(path, 'safetensors'), path);
}

/**
 * Writes a safetensors file atomically (`writeFileAtomic`: a `.tmp-<pid>` file, fsync, rename),
 * so a crash leaves either the old file or the whole new one, never half of one.
 */
export async function writeSafetensors(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata);
  try {
    await writeFileAtomic(path, bytes);
  } catch (cause) {
    throw new IoError('BAD_ARGUMENT', `cannot write safetensors file: ${(cause as Error).message}`, { file: path, cause });
  }
}

/** `readFile`, with a failure (missing file, permissions) as IoError 'BAD_ARGUMENT'. */
export async function readFileOrThrow(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new IoError('BAD_ARGUMENT', `cannot read ${what} file: ${(cause as Error).message}`, { file: path, cause });
  }
}
