import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { activationColumns, readShards } from '@saestream/io';
import { initSae, saveSae } from '@saestream/sae-core';
import { Command } from '../command';
import { errorLine, exitStatus } from '../errors';
import { runCli, tempDir } from '../../../test/support/shards';
import { evalCommand } from './eval';

const HOOK = 'blocks.1.hook_resid_post';
const META = { modelName: 'tiny-random', hookName: HOOK, contextSize: 64, prependBos: true, datasetPath: 'sotu' };
let root: string;
let extraction: string;
let trained: string;

/** Runs a command as the router does: its exit status, or the error's line and status. */
async function run(command: Command, args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } };
  try {
    return { status: await command.run(args, io), out, err };
  } catch (e) {
    return { status: exitStatus(e), out, err: err + errorLine(e) };
  }
}

type Line = Record<string, number | string | null>;
const metrics = async (dir: string): Promise<Line[]> =>
  (await readFile(path.join(dir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

const MEASURES = ['positions', 'predictions', 'cleanLoss', 'splicedLoss', 'zeroAblationLoss', 'meanAblationLoss', 'deltaLoss', 'ceRecoveredZero', 'ceRecoveredMean', 'kl', 'explainedVariance', 'l0', 'deadFraction'];

beforeAll(async () => {
  process.env.HF_HUB_CACHE = await tempDir('hf'); // tiny-random is written here
  root = await tempDir('eval');
  extraction = path.join(root, 'tiny');
  trained = path.join(root, 'sae');
  expect((await runCli(['extract', '--model', 'tiny-random', '--corpus', 'sotu', '--hook', HOOK, '--max-tokens', '6000', '--out', extraction])).status).toBe(0);
}, 120_000);

describe('saestream train --spliced-eval-every', () => {
  let r: { status: number; out: string; err: string };
  beforeAll(async () => {
    const args = ['--latents', '512', '--k', '8', '--dead-tokens', '2000', '--batch', '256', '--eval-every', '0', '--eval-rows', '512', '--init-rows', '2048'];
    r = await runCli(['train', '--data', extraction, ...args, '--spliced-eval-every', '2048', '--eval-tokens', '512', '--out', trained]);
  }, 120_000);

  it('writes spliced-eval lines every 2048 tokens and at the end, on text after the extracted tokens', async () => {
    expect(r.status).toBe(0);
    expect(r.err).toContain('note: spliced eval: held-out text: sotu after the 6,000 tokens');
    expect(r.out).toMatch(/\nspliced eval at step 22: Δ loss -?[\d.]+, CE loss recovered -?[\d.]+ \(zero-ablation\) -?[\d.]+ \(mean-ablation\), KL [\d.]+; every eval in /);
    const lines = (await metrics(trained)).filter((l) => l.kind === 'spliced-eval');
    // 5,905 rows less 512 held out: 5,393 tokens in 22 steps of 256; 2048 and 4096 are crossed at steps 8 and 16
    expect(lines.map((l) => [l.step, l.tokens])).toEqual([[8, 2048], [16, 4096], [22, 5393]]);
    for (const l of lines) for (const key of MEASURES) expect(Number.isFinite(l[key])).toBe(true);
    expect(JSON.parse(await readFile(path.join(trained, 'spliced-eval.json'), 'utf8'))).toMatchObject({ everyTokens: 2048, model: 'tiny-random', hook: HOOK, corpus: 'sotu', tokens: 512, skipTokens: 6000 });
  });

  it('refuses --eval-* flags without --spliced-eval-every, and other spliced evals on --resume', async () => {
    const other = await runCli(['train', '--data', extraction, '--eval-tokens', '64', '--out', path.join(root, 'x')]);
    expect(other).toMatchObject({ status: 2, err: expect.stringContaining('--eval-tokens sets up --spliced-eval-every N, which is off') });
    const resumed = await runCli(['train', '--out', trained, '--resume', '--spliced-eval-every', '1000']);
    expect(resumed).toMatchObject({ status: 2, err: expect.stringMatching(/--resume continues .* with its own spliced evaluations \(every 2048 tokens on 512 tokens of sotu through tiny-random, .*; --spliced-eval-every 1000 differs: drop it/) });
  });
});

/**
 * A random SAE of a trained one's shape, beside it: pre_bias the geometric median of the
 * activations and the decoder's transpose as encoder, as training starts.
 */
async function randomLike(extractionDir: string, dir: string): Promise<string> {
  let sample: Float32Array | undefined;
  for await (const b of readShards(path.join(extractionDir, 'activations', HOOK))) {
    sample = activationColumns(b).act.slice(0, 2048 * 64);
    break;
  }
  await saveSae(dir, initSae({ dIn: 64, nLatents: 512, k: 8, activation: 'topk', normalize: true }, sample!, sample!.length / 64, 1, META));
  return dir;
}

describe('saestream eval', () => {
  let mine: { status: number; out: string; err: string };
  beforeAll(async () => {
    mine = await run(evalCommand, ['--sae', trained, '--model', 'tiny-random', '--corpus', 'sotu', '--tokens', '512']);
  }, 60_000);

  it('prints every measure for the run and each position bucket, and writes eval.json into the run', async () => {
    expect(mine.status).toBe(0);
    expect(mine.err).toContain('note: held-out text: sotu after the 6,000 tokens');
    const lines = mine.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`${trained}: spliced at ${HOOK} of tiny-random, 8 contexts of sotu (504 positions, 496 predictions; BOS excluded)`);
    expect(lines[1].split(/\s{2,}/).filter(Boolean)).toEqual(['positions', 'clean', 'spliced', 'zero-abl', 'mean-abl', 'Δ loss', 'CE rec (zero)', 'CE rec (mean)', 'KL', 'EV', 'L0', 'dead']);
    const rows = lines.slice(2, 7).map((l) => l.trim().split(/\s{2,}/));
    expect(rows.map((r) => r[0])).toEqual(['all', 'pos 1–7', 'pos 8–15', 'pos 16–31', 'pos 32–63']);
    for (const r of rows) expect(r.slice(1).every((cell) => /^-?[\d,.]+%?$/.test(cell))).toBe(true);
    expect(lines[7]).toMatch(new RegExp(`^Δ loss -?[\\d.]+ nats, CE loss recovered -?[\\d.]+ \\(zero-ablation\\) -?[\\d.]+ \\(mean-ablation\\), KL [\\d.]+; ${path.join(trained, 'eval.json')}$`));
    const json = JSON.parse(await readFile(path.join(trained, 'eval.json'), 'utf8'));
    expect(json).toMatchObject({ format: 'saestream.eval/1', model: 'tiny-random', hook: HOOK, corpus: 'sotu', corpusId: 'sotu', tokens: 512, skipTokens: 6000 });
    expect(Object.keys(json.report.total)).toEqual(MEASURES);
    for (const key of MEASURES) expect(Number.isFinite(json.report.total[key])).toBe(true);
    expect(json.report.buckets.map((b: { from: number; to: number }) => [b.from, b.to])).toEqual([[1, 7], [8, 15], [16, 31], [32, 63]]);
    expect(json.report.total.l0).toBeGreaterThan(7);
    expect(json.report.total.l0).toBeLessThanOrEqual(8);
  });

  /**
   * tiny-random is untrained: on sotu its loss is ln 50,257 ≈ 10.825 give or take 0.02, and an
   * ablation changes it by as little, so CE recovered there is noise. Its tied embeddings do
   * favour the token just read, so on text where every word comes twice it has loss to lose
   * (0.26 nats to zero-ablation), and with 25 words an SAE of 512 latents can learn the residual.
   */
  it('a trained SAE recovers far more of the loss than a random one of the same shape, on the same held-out text', async () => {
    const dir = await tempDir('twice');
    const corpus = path.join(dir, 'twice.jsonl');
    const words = 'the union state people nation law year war peace trade army navy bank money land tax court power duty right public order free time work'.split(' ');
    let seed = 7;
    const pick = () => words[Math.floor(((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * words.length)];
    const doc = () => JSON.stringify({ text: Array.from({ length: 1200 }, () => pick()).flatMap((w) => [w, w]).join(' ') });
    await writeFile(corpus, [doc(), doc(), doc(), doc()].join('\n') + '\n');
    const [data, sae] = [path.join(dir, 'tiny'), path.join(dir, 'sae')];
    expect((await runCli(['extract', '--model', 'tiny-random', '--corpus', corpus, '--hook', HOOK, '--max-tokens', '6000', '--out', data])).status).toBe(0);
    const train = ['--latents', '512', '--k', '8', '--dead-tokens', '2000', '--batch', '64', '--lr', '0.01', '--eval-every', '0', '--eval-rows', '512', '--init-rows', '2048'];
    expect((await runCli(['train', '--data', data, ...train, '--out', sae])).status).toBe(0);
    const random = await randomLike(data, path.join(dir, 'random'));
    expect((await run(evalCommand, ['--sae', sae, '--corpus', corpus, '--tokens', '512'])).status).toBe(0);
    expect((await run(evalCommand, ['--sae', random, '--corpus', corpus, '--tokens', '512', '--skip-tokens', '6000'])).status).toBe(0);
    const [a, b] = await Promise.all([sae, random].map(async (d) => JSON.parse(await readFile(path.join(d, 'eval.json'), 'utf8')).report.total));
    process.stdout.write(`eval.spec: trained ${JSON.stringify(a)}\neval.spec: random ${JSON.stringify(b)}\n`);
    expect(b.cleanLoss).toBe(a.cleanLoss); // the same held-out text
    expect(a.zeroAblationLoss - a.cleanLoss).toBeGreaterThan(0.1);
    expect(a.ceRecoveredZero).toBeGreaterThan(b.ceRecoveredZero + 0.15);
    expect(a.ceRecoveredMean).toBeGreaterThan(b.ceRecoveredMean + 0.15);
    expect(a.kl).toBeLessThan(b.kl / 2);
    expect(a.explainedVariance).toBeGreaterThan(b.explainedVariance + 0.3);
  }, 120_000);

  it('refuses an SAE of another width than the model at the hook, naming both', async () => {
    const narrow = path.join(root, 'narrow');
    await saveSae(narrow, initSae({ dIn: 32, nLatents: 64, k: 4, activation: 'topk', normalize: true }, new Float32Array(32), 1, 0, META));
    const r = await run(evalCommand, ['--sae', narrow, '--tokens', '256']);
    expect(r.status).toBe(1);
    expect(r.err).toContain("saestream: the SAE's d_in is 32 but model 'tiny-random' is 64 wide at blocks.1.hook_resid_post");
  });

  it.each([
    [[], 2, /missing --sae/],
    [['--sae', 'x', '--tokens', '0'], 2, /'--tokens' must be a positive integer but got '0'/],
    [['--sae', 'x', '--tokens', 'many'], 2, /'--tokens' must be a non-negative integer but got 'many'/],
  ])('%j exits %i', async (args, status, message) => {
    const r = await run(evalCommand, args);
    expect(r.status).toBe(status);
    expect(r.err).toMatch(message);
  });

  it('refuses a hook that is no residual', async () => {
    const r = await run(evalCommand, ['--sae', trained, '--hook', 'blocks.1.mlp.hook_post', '--tokens', '256']);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/only from a residual-stream hook .* but got 'blocks\.1\.mlp\.hook_post'/);
  });
});
