/**
 * What the file formats share: taking one named float tensor of a known shape out of a tensor
 * map, changing a matrix between row- and column-major, and the error for a file that does not
 * hold what an autoencoder needs.
 */
import { toFloat32, type DType, type Tensor } from '@saestream/io';
import { SaeError } from '../errors';
import { validateSae, type Sae } from '../sae';

/** Element types a parameter may be stored in; F16 and BF16 are widened exactly to float32. */
export const FLOAT_DTYPES: readonly DType[] = ['F32', 'F16', 'BF16'];

/** SaeError('BAD_STATE_DICT'), with the file appended as IoError does: `message (file)`. */
export function stateDictError(message: string, file?: string, cause?: unknown): SaeError {
  return new SaeError('BAD_STATE_DICT', file ? `${message} (${file})` : message, { cause });
}

/** `[256, 64]` */
export const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Tensors by name, as io's readers return them (a Map) or as a plain record. */
export type TensorMap = Map<string, Tensor> | Record<string, Tensor>;

const lookup = (tensors: TensorMap, key: string): Tensor | undefined =>
  tensors instanceof Map ? tensors.get(key) : Object.hasOwn(tensors, key) ? tensors[key] : undefined;

const names = (tensors: TensorMap): string[] => (tensors instanceof Map ? [...tensors.keys()] : Object.keys(tensors));

/**
 * The float32 values of tensor `key`, which must exist, hold floats and have `shape`. For F32 this
 * is a view of the file's bytes (no copy): use {@link floatParam} for values to keep.
 * @param why how the expected shape was derived, for the message, e.g. `[dIn] from encoder.weight [256, 64]`
 */
export function floatValues(tensors: TensorMap, key: string, shape: readonly number[], why: string, file?: string): Float32Array {
  const tensor = lookup(tensors, key);
  if (!tensor) throw stateDictError(`missing tensor '${key}' ${shapeText(shape)}; the tensors are [${names(tensors).join(', ')}]`, file);
  if (!FLOAT_DTYPES.includes(tensor.dtype)) {
    throw stateDictError(`tensor '${key}' must have a dtype in [${FLOAT_DTYPES.join(', ')}] but got ${tensor.dtype}`, file);
  }
  const same = tensor.shape.length === shape.length && tensor.shape.every((n, i) => n === shape[i]);
  if (!same) throw stateDictError(`tensor '${key}' must have shape ${shapeText(shape)} (${why}) but got ${shapeText(tensor.shape)}`, file);
  return toFloat32(tensor);
}

/** {@link floatValues} as a copy the caller owns, never a view of the file's bytes. */
export function floatParam(tensors: TensorMap, key: string, shape: readonly number[], why: string, file?: string): Float32Array {
  const tensor = lookup(tensors, key);
  const values = floatValues(tensors, key, shape, why, file);
  return tensor?.dtype === 'F32' ? values.slice() : values; // toFloat32 already copied F16/BF16
}

/** The 2-d shape of tensor `key`, which must exist and be a matrix; how a format learns dIn and nLatents. */
export function matrixShape(tensors: TensorMap, key: string, layout: string, file?: string): [number, number] {
  const tensor = lookup(tensors, key);
  if (!tensor) throw stateDictError(`missing tensor '${key}' (${layout}); the tensors are [${names(tensors).join(', ')}]`, file);
  if (tensor.shape.length !== 2) throw stateDictError(`tensor '${key}' must be a matrix ${layout} but got shape ${shapeText(tensor.shape)}`, file);
  return [tensor.shape[0], tensor.shape[1]];
}

/**
 * The transpose of a row-major `[rows, cols]` matrix, row-major `[cols, rows]`:
 * out[c·rows + r] = m[r·cols + c]. Walked in 64×64 tiles so that both sides stay in cache.
 */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const TILE = 64;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const rEnd = Math.min(r0 + TILE, rows);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const cEnd = Math.min(c0 + TILE, cols);
      for (let r = r0; r < rEnd; r++) {
        for (let c = c0; c < cEnd; c++) out[c * rows + r] = m[r * cols + c];
      }
    }
  }
  return out;
}

/** `validateSae`, with its BAD_ARGUMENT (k ≥ nLatents, say) reported as a fault of the file. */
export function validateLoaded(sae: Sae, file?: string): Sae {
  try {
    return validateSae(sae);
  } catch (e) {
    if (e instanceof SaeError && e.code === 'BAD_ARGUMENT') throw stateDictError(e.message, file, e);
    throw e;
  }
}

