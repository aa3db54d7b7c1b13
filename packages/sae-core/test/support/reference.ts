/**
 * The OpenAI reference fixtures (copied from ../shared/fixtures/reference/sae; see its README):
 * the two autoencoders as tensors, the reference outputs, and the manifest's scalars.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors, Tensor, toFloat32 } from '@saestream/io';
import { Sae } from '../../src/lib/sae';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export type Variant = 'norm' | 'nonorm';
export const VARIANTS: Variant[] = ['norm', 'nonorm'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the manifest is JSON data
export const manifest: any = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8'));
const reference = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'reference.safetensors'))));

export function ref(name: string): Tensor {
  const t = reference.tensors.get(name);
  if (!t) throw new Error(`reference.safetensors has no '${name}'`);
  return t;
}
export const refF32 = (name: string): Float32Array => toFloat32(ref(name));
/** An I64 / U8 reference tensor as plain numbers. */
export const refInts = (name: string): number[] => Array.from(ref(name).data as ArrayLike<number | bigint>, Number);

/** The fixture autoencoder, read from its `.tensors.safetensors` (not the `.pt`). */
export function fixtureSae(variant: Variant): Sae {
  const file = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, `ae_topk4_${variant}.tensors.safetensors`))));
  const get = (name: string): Float32Array => toFloat32(file.tensors.get(name) as Tensor);
  const d = manifest.n_inputs as number;
  const n = manifest.n_latents as number;
  const decoderDn = get('decoder.weight'); // [d, n]
  const decoder = new Float32Array(n * d);
  for (let t = 0; t < d; t++) for (let j = 0; j < n; j++) decoder[j * d + t] = decoderDn[t * n + j];
  return {
    spec: { dIn: d, nLatents: n, activation: 'topk', k: manifest.k, normalize: variant === 'norm' },
    params: { preBias: get('pre_bias'), latentBias: get('latent_bias'), encoder: get('encoder.weight'), decoder },
    meta: {},
  };
}

/** Largest |a − b| / max(|b|, floor) over all elements. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return m;
}
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
