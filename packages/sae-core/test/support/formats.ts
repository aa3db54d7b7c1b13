/**
 * For the file-format specs: the OpenAI fixture checkpoints (test/fixtures/README.md), their
 * `.tensors.safetensors` twins as the independent reference, bit-exact comparison, and error
 * capture.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseSafetensors, type Tensor } from '@saestream/io';
import { SaeError, type SaeErrorCode } from '../../src/lib/errors';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const fixturePath = (name: string): string => path.join(FIXTURES, name);
export const fixtureBytes = async (name: string): Promise<Uint8Array> => new Uint8Array(await readFile(fixturePath(name)));

/** The two OpenAI autoencoders (256 latents over 64 inputs, TopK k=4), with and without LN. */
export const STEMS = ['ae_topk4_norm', 'ae_topk4_nonorm'] as const;
export const D_IN = 64;
export const N_LATENTS = 256;

/** The reference tensors of a fixture, by their OpenAI names, as F32 values. */
export async function referenceTensors(stem: string): Promise<Map<string, Float32Array>> {
  const { tensors } = parseSafetensors(await fixtureBytes(`${stem}.tensors.safetensors`));
  const f32 = [...tensors].filter(([, t]) => t.dtype === 'F32');
  return new Map(f32.map(([name, t]) => [name, t.data as Float32Array]));
}

/** `m [rows, cols]` → `[cols, rows]`, written plainly (the code under test tiles it). */
export function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/** Whether two arrays hold the same bytes (bit-exact: tells −0 from 0 and NaN payloads apart). */
export const sameBits = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export const f32Tensor = (shape: number[], data = new Float32Array(shape.reduce((a, b) => a * b, 1))): Tensor => ({ dtype: 'F32', shape, data });

export const tempDir = (prefix: string): Promise<string> => mkdtemp(path.join(tmpdir(), `saestream-sae-${prefix}-`));

/** Runs `f`, expecting a SaeError with `code`, and returns it for closer checks. */
export async function catchSaeError(code: SaeErrorCode, f: () => unknown): Promise<SaeError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(SaeError);
    expect((e as SaeError).code).toBe(code);
    return e as SaeError;
  }
  throw new Error(`expected SaeError '${code}', nothing was thrown`);
}
