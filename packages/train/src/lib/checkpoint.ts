/**
 * Checkpoints of a run, each a directory written whole or not at all:
 *
 *   OUT/checkpoints/step-0000123/   sae_weights.safetensors + cfg.json   (SAELens: loadable as is)
 *                                   state.safetensors   Adam moments, dead statistics, EMA
 *                                   state.json          step, tokens, mse_scale
 *   OUT/checkpoint.json             { "latest": "checkpoints/step-0000123", step, tokens }
 *
 * A checkpoint is built under a temporary name and renamed into place; only then does
 * checkpoint.json (replaced atomically) point at it, and only then are older ones removed.
 * A kill at any moment leaves the previous checkpoint.json and the directory it names intact.
 */
import { mkdir, readFile, rename, rm, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { readSafetensors, Tensor, writeFileAtomic, writeSafetensors } from '@saestream/io';
import { loadSae, Sae, saveSae } from '@saestream/sae-core';
import { TrainError } from './errors';

export const CHECKPOINT_POINTER = 'checkpoint.json';
const STATE_TENSORS = 'state.safetensors';
const STATE_JSON = 'state.json';

/** Scalars saved with the arrays. */
export interface CheckpointState {
  /** Optimiser steps taken. */
  step: number;
  /** Training tokens consumed (after the held-out rows). */
  tokens: number;
  /** train.py's mse_scale, fixed at init. */
  mseScale: number;
}

export interface Checkpoint {
  dir: string;
  sae: Sae;
  state: CheckpointState;
  arrays: Record<string, Float32Array | Float64Array>;
}

const stepName = (step: number): string => `step-${String(step).padStart(7, '0')}`;

/** Float64 arrays (token counts) are stored as I64, the rest as F32. */
function toTensor(a: Float32Array | Float64Array): Tensor {
  return a instanceof Float64Array ? { dtype: 'I64', shape: [a.length], data: BigInt64Array.from(a, (v) => BigInt(Math.round(v))) } : { dtype: 'F32', shape: [a.length], data: a };
}

export async function writeCheckpoint(outDir: string, sae: Sae, state: CheckpointState, arrays: Record<string, Float32Array | Float64Array>, keep = 2): Promise<string> {
  const root = path.join(outDir, 'checkpoints');
  const name = stepName(state.step);
  const tmp = path.join(root, `.tmp-${name}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await saveSae(tmp, sae);
  await writeSafetensors(path.join(tmp, STATE_TENSORS), Object.fromEntries(Object.entries(arrays).map(([k, v]) => [k, toTensor(v)])));
  await writeFileAtomic(path.join(tmp, STATE_JSON), JSON.stringify(state, null, 2) + '\n');
  const final = path.join(root, name);
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  await writeFileAtomic(path.join(outDir, CHECKPOINT_POINTER), JSON.stringify({ latest: path.join('checkpoints', name), ...state }, null, 2) + '\n');
  const older = (await readdir(root)).filter((f) => f.startsWith('step-') && f < name).sort();
  for (const f of older.slice(0, Math.max(0, older.length - (keep - 1)))) await rm(path.join(root, f), { recursive: true, force: true });
  for (const f of (await readdir(root)).filter((f) => f.startsWith('.tmp-'))) await rm(path.join(root, f), { recursive: true, force: true });
  return final;
}

/** The latest complete checkpoint of a run, or undefined when it has none yet. */
export async function readLatestCheckpoint(outDir: string): Promise<Checkpoint | undefined> {
  const pointerFile = path.join(outDir, CHECKPOINT_POINTER);
  let pointer: { latest: string };
  try {
    pointer = JSON.parse(await readFile(pointerFile, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TrainError('BAD_CHECKPOINT', `${pointerFile} is unreadable: ${(e as Error).message}`, { cause: e });
  }
  const dir = path.join(outDir, pointer.latest);
  try {
    const { sae } = await loadSae(dir);
    const state = JSON.parse(await readFile(path.join(dir, STATE_JSON), 'utf8')) as CheckpointState;
    const { tensors } = await readSafetensors(path.join(dir, STATE_TENSORS));
    const arrays: Record<string, Float32Array | Float64Array> = {};
    for (const [k, t] of tensors) arrays[k] = t.dtype === 'I64' ? Float64Array.from(t.data as BigInt64Array, Number) : (t.data as Float32Array);
    for (const key of ['step', 'tokens', 'mseScale'] as const) {
      if (!Number.isFinite(state[key])) throw new Error(`${STATE_JSON} has no numeric '${key}'`);
    }
    return { dir, sae, state, arrays };
  } catch (e) {
    throw new TrainError('BAD_CHECKPOINT', `checkpoint ${dir} (named by ${pointerFile}) is unreadable: ${(e as Error).message}`, { cause: e });
  }
}
