/**
 * Activation shards with a known sparse structure for training tests: each row is a sum of
 * `active` of `features` random unit directions with positive coefficients, plus small noise —
 * exactly what a TopK autoencoder can learn, so its reconstruction error must fall.
 */
import { activationsBatch, activationsSchema, ShardWriter } from '@saestream/io';

export interface PlantedOptions {
  rows: number;
  dModel: number;
  features: number;
  active: number;
  seed: number;
  /** rows where every value is NaN (to test the non-finite loss path) */
  nanRows?: number[];
  rowsPerShard?: number;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function writePlantedShards(dir: string, o: PlantedOptions): Promise<void> {
  const rand = rng(o.seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const dirs = new Float32Array(o.features * o.dModel);
  for (let f = 0; f < o.features; f++) {
    let ss = 0;
    for (let t = 0; t < o.dModel; t++) ss += (dirs[f * o.dModel + t] = normal()) ** 2;
    for (let t = 0; t < o.dModel; t++) dirs[f * o.dModel + t] /= Math.sqrt(ss);
  }
  const act = new Float32Array(o.rows * o.dModel);
  for (let r = 0; r < o.rows; r++) {
    for (let a = 0; a < o.active; a++) {
      const f = Math.floor(rand() * o.features);
      const c = 1 + 4 * rand();
      for (let t = 0; t < o.dModel; t++) act[r * o.dModel + t] += c * dirs[f * o.dModel + t];
    }
    for (let t = 0; t < o.dModel; t++) act[r * o.dModel + t] += 0.01 * normal() + 0.5; // an offset for pre_bias to find
  }
  for (const r of o.nanRows ?? []) act.fill(NaN, r * o.dModel, (r + 1) * o.dModel);
  const schema = activationsSchema({ model: 'planted', hook: 'blocks.0.hook_resid_post', dModel: o.dModel, contextSize: 64, prependBos: true, corpus: `planted-${o.seed}` });
  const writer = await ShardWriter.open(dir, { schema, rowsPerShard: o.rowsPerShard ?? 4096 });
  const ctx = Uint32Array.from({ length: o.rows }, (_, i) => Math.floor(i / 64));
  const pos = Uint16Array.from({ length: o.rows }, (_, i) => i % 64);
  await writer.write(activationsBatch(schema, { ctx, pos, token: new Int32Array(o.rows), act }));
  await writer.close();
}
