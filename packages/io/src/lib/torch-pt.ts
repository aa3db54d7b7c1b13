/**
 * Reads what `torch.save(module.state_dict())` writes (torch ≥ 1.6 zip format, as in
 * `torch/serialization.py`):
 *
 *   <stem>/data.pkl      pickle (protocol 2) of an OrderedDict name → tensor | plain value
 *   <stem>/data/<key>    raw little-endian bytes of storage <key>
 *   <stem>/version, <stem>/byteorder (torch ≥ 2.1; "little" or "big"), <stem>/.data/...
 *
 * A tensor pickles as `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
 * backward_hooks[, metadata])`, its storage as the persistent id
 * `('storage', torch.<Type>Storage, key, location, numel)`. Element `[i0, i1, ...]` of the tensor
 * is storage element `storage_offset + Σ_d i_d · stride_d`; we return C-order data, as a view of
 * the storage when the strides are C-contiguous, else a gathered copy.
 *
 * Storage types → dtype: Float → F32, Half → F16, BFloat16 → BF16, Long → I64, Int → I32,
 * Byte → U8; Double → F32, each value rounded to the nearest float32 (our `Tensor` has no F64).
 * Entries that are not tensors (ints, strings, nested dicts) are kept in `values`.
 */
import { IoError } from './errors';
import { PYTHON_GLOBALS, unpickle, type PickleGlobals } from './pickle';
import { allocateTensorData, numelOf, readFileOrThrow, tensorDataFromBytes, type DType, type Tensor, type TensorData } from './safetensors';
import { readZipEntries } from './zip';

/** A state dict split by kind: tensors by name, and every other entry (Python values) by name. */
export interface TorchStateDict {
  tensors: Map<string, Tensor>;
  values: Map<string, unknown>;
}

/** Storage class name → the dtype it becomes and its element size on disk. */
const STORAGE_TYPES: Record<string, { dtype: DType; bytes: number }> = {
  FloatStorage: { dtype: 'F32', bytes: 4 },
  HalfStorage: { dtype: 'F16', bytes: 2 },
  BFloat16Storage: { dtype: 'BF16', bytes: 2 },
  LongStorage: { dtype: 'I64', bytes: 8 },
  IntStorage: { dtype: 'I32', bytes: 4 },
  ByteStorage: { dtype: 'U8', bytes: 1 },
  DoubleStorage: { dtype: 'F32', bytes: 8 }, // converted on load
};

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isCounts = (x: unknown): x is number[] => Array.isArray(x) && x.every(isCount);
/** JSON for messages, with bigints (large pickled ints) shown as `123n` instead of throwing. */
const show = (x: unknown) => JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

/** What GLOBAL `torch.<Type>Storage` pushes: a token naming the type. */
class StorageType {
  constructor(readonly name: string) {}
}

/** One loaded storage: all its elements, as `dtype`. */
class Storage {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly data: TensorData,
  ) {}
}

/** Reads a `.pt` file written by `torch.save(state_dict)`. */
export async function readTorchStateDict(path: string): Promise<TorchStateDict> {
  return parseTorchStateDict(await readFileOrThrow(path, 'torch .pt'), path);
}

/**
 * Parses the bytes of a `.pt` file written by `torch.save(state_dict)`.
 * @throws IoError 'CORRUPT_FILE' (truncated, garbled), 'UNSUPPORTED' (legacy format, unknown global or storage type)
 */
export function parseTorchStateDict(bytes: Uint8Array, file?: string): TorchStateDict {
  if (bytes[0] === 0x80 && bytes[1] !== undefined && bytes[1] <= 5) {
    throw new IoError('UNSUPPORTED', 'this is a legacy (torch < 1.6, non-zip) .pt file; re-save it with a current torch', { file });
  }
  return stateDictFromEntries(readZipEntries(bytes, file), file);
}

/** The state dict in a torch zip archive's entries (name → bytes), as `readZipEntries` returns them. */
export function stateDictFromEntries(entries: Map<string, Uint8Array>, file?: string): TorchStateDict {
  const corrupt = (message: string) => new IoError('CORRUPT_FILE', message, { file });
  const pickles = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw corrupt(`expected one '<stem>/data.pkl' entry, found ${pickles.length}; entries are ${[...entries.keys()].join(', ')}`);
  }
  const stem = pickles[0].slice(0, -'/data.pkl'.length);
  const byteorder = entries.get(`${stem}/byteorder`);
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new IoError('UNSUPPORTED', `byteorder is '${new TextDecoder().decode(byteorder)}'; only little-endian files are supported`, { file });
  }

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof StorageType) || pid.length < 5) {
      throw corrupt(`persistent id must be ('storage', <Type>Storage, key, location, numel), got ${show(pid)}`);
    }
    const [, type, key, , numel] = pid as [string, StorageType, string, string, unknown];
    const cached = storages.get(String(key));
    if (cached) return cached;
    const storage = loadStorage(type, String(key), numel, entries.get(`${stem}/data/${key}`), corrupt);
    storages.set(storage.key, storage);
    return storage;
  };

  const rebuilt = new WeakSet<Tensor>();
  const rebuildTensor = (storage: unknown, offset: unknown, size: unknown, stride: unknown): Tensor => {
    if (!(storage instanceof Storage)) throw corrupt(`_rebuild_tensor_v2 expects a storage, got ${show(storage)}`);
    const tensor = viewStorage(storage, offset, size, stride, corrupt);
    rebuilt.add(tensor);
    return tensor;
  };
  const globals: PickleGlobals = {
    ...PYTHON_GLOBALS,
    'torch._utils._rebuild_tensor_v2': rebuildTensor,
    'torch._utils._rebuild_parameter': (data: unknown) => data, // an nn.Parameter is its data here
    ...Object.fromEntries(Object.keys(STORAGE_TYPES).map((name) => [`torch.${name}`, new StorageType(name)])),
  };

  const root = unpickle(entries.get(pickles[0]) as Uint8Array, { globals, persistentLoad, file });
  if (!(root instanceof Map)) {
    throw new IoError('UNSUPPORTED', `expected a state_dict (a dict of name → tensor), got ${Array.isArray(root) ? 'a list' : typeof root}`, { file });
  }
  const tensors = new Map<string, Tensor>();
  const values = new Map<string, unknown>();
  for (const [key, value] of root) {
    if (typeof key !== 'string') throw new IoError('UNSUPPORTED', `state_dict keys must be strings, got ${typeof key} ${String(key)}`, { file });
    if (typeof value === 'object' && value !== null && rebuilt.has(value as Tensor)) tensors.set(key, value as Tensor);
    else values.set(key, value);
  }
  return { tensors, values };
}

function loadStorage(type: StorageType, key: string, numel: unknown, bytes: Uint8Array | undefined, corrupt: (m: string) => IoError): Storage {
  const { dtype, bytes: width } = STORAGE_TYPES[type.name];
  if (!bytes) throw corrupt(`storage '${key}' (${type.name}) has no data/${key} entry`);
  if (!isCount(numel)) throw corrupt(`storage '${key}': numel must be a non-negative int, got ${show(numel)}`);
  if (bytes.byteLength !== numel * width) {
    throw corrupt(`storage '${key}': ${type.name} of ${numel} elements needs ${numel * width} bytes, entry has ${bytes.byteLength}`);
  }
  if (type.name !== 'DoubleStorage') return new Storage(key, dtype, tensorDataFromBytes(dtype, bytes));
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes); // a copy when misaligned
  const doubles = new Float64Array(aligned.buffer, aligned.byteOffset, numel);
  return new Storage(key, dtype, Float32Array.from(doubles)); // round to nearest float32
}

/**
 * The tensor `storage[offset + Σ i_d·stride_d]` over `i ∈ size`, in C order: a view when the
 * strides are C-contiguous (dims of size 1 may have any stride), else a copy.
 */
function viewStorage(storage: Storage, offset: unknown, size: unknown, stride: unknown, corrupt: (m: string) => IoError): Tensor {
  const what = `tensor on storage '${storage.key}'`;
  if (!isCount(offset) || !isCounts(size) || !isCounts(stride) || stride.length !== size.length) {
    throw corrupt(`${what}: expected offset ≥ 0 and size/stride of non-negative ints of equal length, got ${show({ offset, size, stride })}`);
  }
  const [shape, strides] = [size, stride];
  const numel = numelOf(shape);
  const lastIndex = offset + shape.reduce((sum, n, d) => sum + (n - 1) * strides[d], 0);
  if (numel > 0 && lastIndex >= storage.data.length) {
    throw corrupt(`${what}: offset ${offset}, size [${shape}], stride [${strides}] reach element ${lastIndex}, storage has ${storage.data.length}`);
  }
  let expected = 1;
  let contiguous = true;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) contiguous = false;
    expected *= shape[d];
  }
  if (contiguous) return { dtype: storage.dtype, shape, data: storage.data.subarray(offset, offset + numel) };
  return { dtype: storage.dtype, shape, data: gather(storage, offset, shape, strides, numel) };
}

/** C-order copy by an odometer over the multi-index: step the last dim, carry into earlier ones. */
function gather(storage: Storage, offset: number, shape: number[], strides: number[], numel: number): TensorData {
  const out = allocateTensorData(storage.dtype, numel);
  // Same dtype on both sides, so element values pass through unchanged (number or bigint).
  const from = storage.data as unknown as { [i: number]: number | bigint };
  const to = out as unknown as { [i: number]: number | bigint };
  const index = new Array<number>(shape.length).fill(0);
  let at = offset;
  for (let i = 0; i < numel; i++) {
    to[i] = from[at];
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++;
      at += strides[d];
      if (index[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}
