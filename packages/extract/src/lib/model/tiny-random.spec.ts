import { createHash } from 'node:crypto';
import { readdir, readFile, rm, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '@saestream/io';
import { loadModelDir, MODEL_FILES } from './model-dir';
import { mulberry32, seededNormal } from './seeded-normal';
import { ensureTinyRandom, tinyRandomConfig, TINY_RANDOM_VERSION, writeTinyRandom } from './tiny-random';

const FIXTURE = join(__dirname, '../../../test/fixtures/gpt2-tiny');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tiny-random-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');
const hashes = async (dir: string): Promise<string[]> => Promise.all(MODEL_FILES.map((f) => sha256(join(dir, f))));

function moments(xs: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < xs.length; i++) {
    sum += xs[i];
    sq += xs[i] * xs[i];
  }
  const mean = sum / xs.length;
  return { mean, std: Math.sqrt(sq / xs.length - mean * mean) };
}

describe('seededNormal', () => {
  it('repeats for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 8 }, seededNormal(seed));
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });

  it('is standard normal: mean 0, std 1, P(|z| < 1) = 0.6827, P(|z| < 2) = 0.9545 (tolerance 0.01 at 2e5 draws)', () => {
    const normal = seededNormal(123);
    const zs = Float64Array.from({ length: 200_000 }, normal);
    const { mean, std } = moments(zs);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    const within = (k: number) => zs.filter((z) => Math.abs(z) < k).length / zs.length;
    expect(Math.abs(within(1) - 0.6827)).toBeLessThan(0.01);
    expect(Math.abs(within(2) - 0.9545)).toBeLessThan(0.01);
  });

  it('draws uniforms in [0, 1) with mean 1/2', () => {
    const u = Float64Array.from({ length: 100_000 }, mulberry32(9));
    expect(u.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(moments(u).mean - 0.5)).toBeLessThan(0.005);
  });
});

describe('writeTinyRandom', () => {
  it('writes the same bytes for the same seed, different weights for another', async () => {
    await writeTinyRandom(join(tmp, 'a'), 0);
    await writeTinyRandom(join(tmp, 'b'));
    await writeTinyRandom(join(tmp, 'c'), 1);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => hashes(join(tmp, d))));
    expect(b).toEqual(a);
    expect(c[1]).not.toBe(a[1]); // model.safetensors
    expect(c[2]).toBe(a[2]); // the same tokenizer.json
  });

  it('has the reference GPT-2 layout: the fixture names and shapes, at vocab 50257 and 1024 positions', async () => {
    const model = await loadModelDir(join(tmp, 'a'));
    const fixture = (await readSafetensors(join(FIXTURE, 'model.safetensors'))).tensors;
    expect([...model.weights.keys()].sort()).toEqual([...fixture.keys()].sort());
    for (const [name, t] of fixture) {
      const want = name === 'wte.weight' ? [50257, 64] : name === 'wpe.weight' ? [1024, 64] : t.shape;
      expect({ name, shape: model.weights.get(name)?.shape }).toEqual({ name, shape: want });
    }
    expect(model.configJson).toMatchObject({ n_layer: 2, n_head: 2, n_embd: 64, n_positions: 1024, vocab_size: 50257, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256 });
    expect(model.configJson).toEqual(tinyRandomConfig(0));
  });

  it('draws weights ~ N(0, 0.02), c_proj ~ N(0, 0.01), biases ~ N(0, 0.02) (4 standard errors)', async () => {
    const { weights } = await loadModelDir(join(tmp, 'a'));
    const check = (name: string, mean: number, std: number) => {
      const xs = weights.get(name)?.data as Float32Array;
      const m = moments(xs);
      // standard errors of a normal sample: mean σ/√n, std σ/√(2n)
      expect({ name, meanOff: Math.abs(m.mean - mean) < (4 * std) / Math.sqrt(xs.length) }).toEqual({ name, meanOff: true });
      expect({ name, stdOff: Math.abs(m.std / std - 1) < 4 / Math.sqrt(2 * xs.length) }).toEqual({ name, stdOff: true });
    };
    check('wte.weight', 0, 0.02);
    check('h.0.attn.c_attn.weight', 0, 0.02);
    check('h.1.mlp.c_proj.weight', 0, 0.01); // 0.02 / √(2 · n_layer)
    check('h.1.mlp.c_fc.bias', 0, 0.02);
    check('ln_f.bias', 0, 0.02);
    check('h.0.ln_1.weight', 1, 0.05);
  });

  it('rejects a seed outside [0, 2^32)', async () => {
    await expect(writeTinyRandom(join(tmp, 'x'), -1)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});

describe('ensureTinyRandom', () => {
  it('writes saestream--tiny-random-<seed> once, leaving no temporary directories', async () => {
    const cache = join(tmp, 'cache');
    const dir = await ensureTinyRandom(cache, 4);
    expect(dir).toBe(join(cache, 'saestream--tiny-random-4'));
    const before = (await stat(join(dir, 'model.safetensors'))).mtimeMs;
    const [again, concurrent] = await Promise.all([ensureTinyRandom(cache, 4), ensureTinyRandom(cache, 4)]);
    expect([again, concurrent]).toEqual([dir, dir]);
    expect((await stat(join(dir, 'model.safetensors'))).mtimeMs).toBe(before);
    expect(await readdir(cache)).toEqual(['saestream--tiny-random-4']);
    await writeTinyRandom(join(tmp, 'seed4'), 4);
    expect(await hashes(dir)).toEqual(await hashes(join(tmp, 'seed4')));
  });

  it('rewrites a copy from another version or a partial copy', async () => {
    const cache = join(tmp, 'stale');
    const dir = await ensureTinyRandom(cache, 2);
    const config = { ...tinyRandomConfig(2), saestream_tiny_random: { seed: 2, version: TINY_RANDOM_VERSION - 1 } };
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    await ensureTinyRandom(cache, 2);
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))).toEqual(tinyRandomConfig(2));
    await rm(join(dir, 'tokenizer.json'));
    await ensureTinyRandom(cache, 2);
    expect(await readdir(dir)).toEqual([...MODEL_FILES].sort());
  });
});
