import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, initSae, loadSae, Sae } from '@saestream/sae-core';
import { readLatestCheckpoint } from './checkpoint';
import { TrainConfig } from './config';
import { shardData, TrainData } from './data-source';
import { trainSae } from './trainer';
import { writePlantedShards } from '../../test/support/planted';

const D = 16;
let root: string;
let data: TrainData;
let nanData: TrainData;

const config: Partial<TrainConfig> = {
  latents: 64,
  k: 4,
  kAux: 16,
  deadTokens: 1024,
  batch: 256,
  lr: 1e-2,
  initRows: 512,
  evalRows: 512,
  evalEvery: 4,
  checkpointEveryTokens: 1024,
  shuffleBufferRows: 2048,
};

beforeAll(async () => {
  await initBackend('wasm');
  root = await mkdtemp(path.join(tmpdir(), 'saestream-train-'));
  await writePlantedShards(path.join(root, 'planted'), { rows: 6000, dModel: D, features: 48, active: 3, seed: 1, rowsPerShard: 2048 });
  await writePlantedShards(path.join(root, 'nan'), { rows: 4000, dModel: D, features: 48, active: 3, seed: 2, nanRows: [3000] });
  data = await shardData(path.join(root, 'planted'), { seed: 0, bufferRows: 2048, batch: 256 });
  nanData = await shardData(path.join(root, 'nan'), { seed: 0, bufferRows: 2048, batch: 256 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

const readLines = async (file: string): Promise<Record<string, number | string>[]> =>
  (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('trainSae on planted sparse activations', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof trainSae>>;
  beforeAll(async () => {
    out = path.join(root, 'run');
    result = await trainSae(config, data, out);
  });

  it('trains one pass over the non-held-out rows and finishes', () => {
    expect(result.finished).toBe(true);
    expect(result.tokens).toBe(6000 - 512);
    expect(result.steps).toBe(Math.ceil((6000 - 512) / 256));
  });

  it('lowers held-out nmse and writes one metrics line per step plus evals', async () => {
    const lines = await readLines(path.join(out, 'metrics.jsonl'));
    const train = lines.filter((l) => l.kind === 'train');
    const evals = lines.filter((l) => l.kind === 'eval');
    expect(train.map((l) => l.step)).toEqual(Array.from({ length: result.steps }, (_, i) => i + 1));
    for (const key of ['loss', 'nmse', 'fvu', 'l0', 'dead', 'deadFraction', 'lossAux', 'lr', 'tokensPerSec']) expect(typeof train[0][key]).toBe('number');
    expect(evals.length).toBeGreaterThanOrEqual(3);
    expect(evals[evals.length - 1].nmse as number).toBeLessThan(0.75 * (evals[0].nmse as number));
    expect(evals[evals.length - 1].nmse as number).toBeLessThan(0.4);
    expect(train[train.length - 1].l0).toBeLessThanOrEqual(4);
  });

  it('leaves a loadable SAELens autoencoder with the data identity, and the last checkpoint', async () => {
    const { sae } = await loadSae(out);
    expect(sae.spec).toEqual({ dIn: D, nLatents: 64, k: 4, activation: 'topk', normalize: true });
    expect(sae.meta).toMatchObject({ modelName: 'planted', hookName: 'blocks.0.hook_resid_post' });
    const ckpt = await readLatestCheckpoint(out);
    expect(ckpt?.state).toMatchObject({ step: result.steps, tokens: result.tokens });
    expect(ckpt?.sae.params.decoder).toEqual(sae.params.decoder);
  });

  it('refuses to train into the same directory again without --resume', async () => {
    await expect(trainSae(config, data, out)).rejects.toMatchObject({ code: 'RUN_EXISTS', message: expect.stringMatching(/already holds a training run; pass --resume/) });
  });

  it('refuses to resume with another config, naming the field', async () => {
    await expect(trainSae({ ...config, k: 5 }, data, out, { resume: true })).rejects.toMatchObject({ code: 'CONFIG_CHANGED', message: expect.stringMatching(/config\.k: 4 → 5/) });
  });
});

it('resumes exactly: abort mid-run, resume, and match the uninterrupted run bit for bit', async () => {
  const whole = path.join(root, 'whole');
  const cut = path.join(root, 'cut');
  const c = { ...config, evalEvery: 0 };
  await trainSae(c, data, whole);
  const abort = new AbortController();
  const first = await trainSae(c, data, cut, { signal: abort.signal, onProgress: (p) => p.phase === 'train' && p.step === 7 && abort.abort() });
  expect(first).toMatchObject({ finished: false, steps: 7 });
  const second = await trainSae(c, data, cut, { resume: true });
  expect(second).toMatchObject({ finished: true, resumedFromStep: 7 });
  const [a, b] = await Promise.all([loadSae(whole), loadSae(cut)]);
  expect(b.sae.params).toEqual(a.sae.params);
  const [la, lb] = await Promise.all([readLines(path.join(whole, 'metrics.jsonl')), readLines(path.join(cut, 'metrics.jsonl'))]);
  const strip = (l: Record<string, unknown>[]): unknown[] => l.map(({ tokensPerSec: _t, ...rest }) => rest);
  expect(strip(lb)).toEqual(strip(la));
});

describe('options.evaluate: a caller\'s evaluation every N tokens', () => {
  /** A deterministic score of the weights it is given, and which step gave them. */
  const score = async (sae: Sae): Promise<Record<string, number>> => ({ decoderSum: sae.params.decoder.reduce((a, b) => a + b, 0), preBias0: sae.params.preBias[0] });
  const c = { ...config, evalEvery: 0 };

  it('writes a spliced-eval line where the token count crosses a multiple, and at the end; a resumed run writes the same lines', async () => {
    const whole = path.join(root, 'periodic-whole');
    const result = await trainSae(c, data, whole, { evaluate: { everyTokens: 1000, run: score } });
    const lines = (await readLines(path.join(whole, 'metrics.jsonl'))).filter((l) => l.kind === 'spliced-eval');
    // 256 tokens a step: 1000, 2000, … are crossed at steps 4, 8, 12, 16, 20 (1024, 2048, …); the run ends at step 22
    expect(lines.map((l) => [l.step, l.tokens])).toEqual([[4, 1024], [8, 2048], [12, 3072], [16, 4096], [20, 5120], [22, 5488]]);
    expect(result.splicedEval).toEqual({ decoderSum: lines[5].decoderSum, preBias0: lines[5].preBias0 });
    const { sae } = await loadSae(whole);
    expect(await score(sae)).toEqual({ decoderSum: lines[5].decoderSum, preBias0: lines[5].preBias0 }); // the exported weights were scored

    const cut = path.join(root, 'periodic-cut');
    const abort = new AbortController();
    await trainSae(c, data, cut, { evaluate: { everyTokens: 1000, run: score }, signal: abort.signal, onProgress: (p) => p.phase === 'train' && p.step === 10 && abort.abort() });
    await trainSae(c, data, cut, { resume: true, evaluate: { everyTokens: 1000, run: score } });
    const strip = (l: Record<string, unknown>[]): unknown[] => l.map(({ tokensPerSec: _t, ...rest }) => rest);
    expect(strip(await readLines(path.join(cut, 'metrics.jsonl')))).toEqual(strip(await readLines(path.join(whole, 'metrics.jsonl'))));
  });

  it.each<[string, Partial<{ everyTokens: number; run: typeof score }>, RegExp]>([
    ['everyTokens 0', { everyTokens: 0 }, /'evaluate\.everyTokens' must be a positive integer but got 0/],
    ['a result holding tokens', { everyTokens: 1000, run: async () => ({ tokens: 1 }) }, /an evaluate result may not hold \[tokens\]/],
  ])('refuses %s', async (_case, evaluate, message) => {
    const run = path.join(root, `periodic-bad-${evaluate.everyTokens}`);
    await expect(trainSae({ ...c, maxTokens: 1024 }, data, run, { evaluate: { everyTokens: 1000, run: score, ...evaluate } })).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringMatching(message) });
  });
});

it('stops on a non-finite loss (lr far too high), naming the step and leaving the last good checkpoint untouched', async () => {
  const out = path.join(root, 'diverge');
  const err = await trainSae({ ...config, lr: 1e30, evalEvery: 0, checkpointEveryTokens: 256 }, data, out).catch((e) => e);
  expect(err).toMatchObject({ code: 'NON_FINITE', message: expect.stringMatching(/loss is (NaN|Infinity) .* at optimiser step \d+.*the last good checkpoint is .*checkpoints\/step-\d+, left untouched/) });
  const ckpt = await readLatestCheckpoint(out);
  expect(err.message).toContain(ckpt?.dir);
  expect(err.message).toContain(`optimiser step ${(ckpt?.state.step as number) + 1}`);
  expect(Array.from(ckpt?.sae.params.decoder ?? []).every(Number.isFinite)).toBe(true);
});

it('refuses NaN activations in the init sample, naming the row', async () => {
  const err = await trainSae({ ...config, evalRows: 0 }, nanData, path.join(root, 'nan-init')).catch((e) => e);
  expect(err).toMatchObject({ code: 'NON_FINITE', message: expect.stringMatching(/the init sample \(the first 512 training rows\) holds NaN at row \d+, element 0/) });
});

it('refuses an initial SAE whose d_in is not the shards d_model, naming both', async () => {
  const init = initSae({ dIn: D + 1, nLatents: 64, k: 4, activation: 'topk', normalize: false }, new Float32Array((D + 1) * 2), 2, 0);
  await expect(trainSae(config, data, path.join(root, 'bad-init'), { init })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringMatching(/initial SAE has d_in 17 but the shards' d_model is 16/) });
});

it('reports an unreadable checkpoint on --resume', async () => {
  const out = path.join(root, 'corrupt');
  await trainSae({ ...config, maxTokens: 1024 }, data, out);
  const ckpt = await readLatestCheckpoint(out);
  await writeFile(path.join(ckpt?.dir as string, 'state.json'), '{ not json');
  await expect(trainSae({ ...config, maxTokens: 1024 }, data, out, { resume: true })).rejects.toMatchObject({ code: 'BAD_CHECKPOINT', message: expect.stringMatching(/checkpoint .*step-0000004 .* is unreadable/) });
});

it('keeps the tfjs tensor count flat over a run', async () => {
  const before = tf.memory().numTensors;
  await trainSae({ ...config, maxTokens: 2048 }, data, path.join(root, 'flat'));
  expect(tf.memory().numTensors).toBe(before);
});
