import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { loadSae } from '@saestream/sae-core';
import { runCli, tempDir } from '../../../test/support/shards';
import { startStaticServer } from '../static-server';

const REPO = path.resolve(__dirname, '../../../../..');
// a small slice: 12k tokens of sotu through tiny-random, 1024 latents, batch 1024 (checkpoints every 1.2k tokens)
const SMALL = ['--model', 'tiny-random', '--tokens', '12000', '--latents', '1024', '--batch', '1024'];

beforeAll(async () => {
  process.env.HF_HUB_CACHE = await tempDir('hf');
});

/** The pipeline in a child process, SIGKILLed once its training checkpoint reaches `step`. */
function killDuringTraining(out: string, step: number): Promise<{ signal: NodeJS.Signals | null; killedAt?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', path.join(REPO, 'tools/ts-register.js'), path.join(REPO, 'packages/cli/src/cli.ts'), 'pipeline', '--out', out, ...SMALL], { cwd: REPO, env: process.env, stdio: 'ignore' });
    let killedAt: number | undefined;
    const poll = setInterval(async () => {
      if (killedAt !== undefined) return;
      const text = await readFile(path.join(out, 'train', 'checkpoint.json'), 'utf8').catch(() => '');
      const at = text ? (JSON.parse(text) as { step: number }).step : 0;
      if (at >= step) {
        killedAt = at;
        child.kill('SIGKILL');
      }
    }, 5);
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearInterval(poll);
      resolve({ signal, killedAt });
    });
  });
}

describe('saestream pipeline', () => {
  let out: string;
  let first: { status: number; out: string; err: string };
  beforeAll(async () => {
    out = path.join(await tempDir('pipeline'), 'run');
    first = await runCli(['pipeline', '--out', out, ...SMALL]);
  }, 180_000);

  it('runs extract → train → interpret into one folder and ends with the summary', () => {
    expect(first.status).toBe(0);
    expect(first.err).toMatch(/⚠ {2}tiny-random is an untrained, randomly initialised GPT-2/);
    expect(first.out).toMatch(new RegExp(`^${out}: done in \\S+\\n {2}model {6}tiny-random .*\\n {2}hook {7}blocks\\.1\\.hook_resid_post\\n {2}tokens {5}12,000 from sotu\\n {2}SAE {8}1,024 latents, TopK k=32: ${out}/train\\n {2}nmse {7}[\\d.]+ \\(held out\\)\\n {2}L0 {9}[\\d.]+\\n {2}dead {7}[\\d.]+%\\n {2}spliced {4}CE loss recovered -?[\\d.]+ \\(zero-ablation\\), Δ loss -?[\\d.]+ nats, KL [\\d.]+: ${out}/eval\\.json\\n {2}viewer {5}${out}/interpret/viewer/index\\.html`));
  });

  it('records the untrained-model banner in its manifest', async () => {
    const record = JSON.parse(await readFile(path.join(out, 'pipeline.json'), 'utf8'));
    expect(record).toMatchObject({ format: 'saestream.pipeline/1', banner: expect.stringMatching(/untrained/), settings: { model: 'tiny-random', hook: 'blocks.1.hook_resid_post', tokens: 12000, latents: 1024, k: 32 } });
  });

  it('skips every finished stage when the same command runs again', async () => {
    const again = await runCli(['pipeline', '--out', out, ...SMALL]);
    expect(again.status).toBe(0);
    expect(again.err).toMatch(/\[2\/4\] train {5}finished earlier: skipped/);
    expect(again.err).toMatch(/\[3\/4\] eval {6}finished earlier: skipped/);
    expect(again.err).toMatch(/\[4\/4\] interpret finished earlier: skipped/);
  }, 60_000);

  it('reports other settings on the same folder instead of mixing them', async () => {
    const other = await runCli(['pipeline', '--out', out, ...SMALL.slice(0, -2), '--batch', '512']);
    expect(other.status).toBe(2);
    expect(other.err).toMatch(/holds a pipeline run made with other settings \(batch: 1024 → 512\); rerun with the same flags to continue it, or choose another --out/);
  });

  it('never falls back from an explicitly named model', async () => {
    const r = await runCli(['pipeline', '--out', path.join(out, 'x'), '--model', path.join(out, 'no-such-model')]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^saestream: model directory '.*no-such-model' does not exist/);
    expect(r.err).not.toMatch(/uses the embedded tiny-random model|⚠/);
    expect(existsSync(path.join(out, 'x', 'pipeline.json'))).toBe(false);
  });

  const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  (existsSync(CHROMIUM) || process.env.CI ? it : it.skip)('produces a viewer that opens in chromium with the banner and the latents', async () => {
    const server = await startStaticServer(path.join(out, 'interpret', 'viewer'), { port: 0 });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForSelector('[data-testid="latent-row"]');
      expect(await page.textContent('[data-testid="banner"]')).toMatch(/untrained/);
      expect(await page.textContent('[data-testid="header-eval"]')).toMatch(/^CE recovered -?[\d.]+ {2}Δ loss -?[\d.]+ {2}KL [\d.]+$/);
      expect(await page.$$('[data-testid="latent-row"]')).toHaveLength(100);
      await page.goto(`${server.url}#/latent/0`);
      await page.waitForSelector('[data-testid="latent-page"][data-latent-id="0"]');
      const shot = path.join(process.env.SAESTREAM_ARTIFACTS ?? path.dirname(out), 'pipeline-viewer.png');
      await page.screenshot({ path: shot });
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 60_000);
});

it('SIGKILL during training, then the same command: the same SAE as an uninterrupted run', async () => {
  const root = await tempDir('pipeline-kill');
  const whole = path.join(root, 'whole');
  expect((await runCli(['pipeline', '--out', whole, ...SMALL])).status).toBe(0);
  const killed = path.join(root, 'killed');
  const { signal, killedAt } = await killDuringTraining(killed, 3);
  expect(signal).toBe('SIGKILL');
  expect(killedAt).toBeGreaterThanOrEqual(3);
  await expect(stat(path.join(killed, 'train', 'cfg.json'))).rejects.toThrow(); // training did not finish
  const rerun = await runCli(['pipeline', '--out', killed, ...SMALL]);
  expect(rerun.status).toBe(0);
  const [a, b] = await Promise.all([loadSae(path.join(whole, 'train')), loadSae(path.join(killed, 'train'))]);
  expect(b.sae.params).toEqual(a.sae.params);
  const [la, lb] = await Promise.all([readFile(path.join(whole, 'interpret', 'latents.parquet')), readFile(path.join(killed, 'interpret', 'latents.parquet'))]);
  expect(lb.equals(la)).toBe(true);
}, 300_000);
