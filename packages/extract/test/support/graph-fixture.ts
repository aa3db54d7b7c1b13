/**
 * The gpt2-tiny reference fixture (test/fixtures/gpt2-tiny, from nanoGPT's modules; see
 * shared/fixtures/reference/README.md): config, HF-named weights, and transformer_lens hook values.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseSafetensors, Tensor } from '@saestream/io';
import { Gpt2Config, gpt2ConfigFromHf } from '../../src/lib/graph/config';

const DIR = path.join(__dirname, '..', 'fixtures', 'gpt2-tiny');

export interface TinyGpt2 {
  configJson: Record<string, unknown>;
  config: Gpt2Config;
  weights: Map<string, Tensor>;
  /** Hook name → reference values (every tensor of activations.safetensors but `tokens`). */
  activations: Map<string, Tensor>;
  /** The fixture's tokens, [3, 16] as rows. */
  tokens: number[][];
}

export function loadTinyGpt2(): TinyGpt2 {
  const configJson = JSON.parse(readFileSync(path.join(DIR, 'config.json'), 'utf8')) as Record<string, unknown>;
  const weights = parseSafetensors(readFileSync(path.join(DIR, 'model.safetensors'))).tensors;
  const activations = parseSafetensors(readFileSync(path.join(DIR, 'activations.safetensors'))).tensors;
  const t = activations.get('tokens')!;
  activations.delete('tokens');
  const [batch, seq] = t.shape;
  const ids = t.data as BigInt64Array;
  const tokens = Array.from({ length: batch }, (_, b) => Array.from(ids.subarray(b * seq, (b + 1) * seq), Number));
  return { configJson, config: gpt2ConfigFromHf(configJson), weights, activations, tokens };
}

/** max |a − b| over all elements (lengths must agree). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
