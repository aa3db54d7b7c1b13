import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { readParquetTable } from '@saestream/io';
import { startStaticServer } from '../static-server';
import { runCli, tempDir } from '../../../test/support/shards';

const HOOK = 'blocks.1.hook_resid_post';
let root: string;
let extraction: string;
let sae: string;

beforeAll(async () => {
  process.env.HF_HUB_CACHE = await tempDir('hf');
  root = await tempDir('interpret');
  extraction = path.join(root, 'tiny');
  sae = path.join(root, 'sae');
  expect((await runCli(['extract', '--model', 'tiny-random', '--corpus', 'sotu', '--hook', HOOK, '--max-tokens', '20000', '--out', extraction])).status).toBe(0);
  expect((await runCli(['train', '--data', extraction, '--latents', '512', '--k', '8', '--dead-tokens', '2000', '--batch', '256', '--eval-every', '0', '--init-rows', '4096', '--out', sae])).status).toBe(0);
}, 180_000);

describe('saestream interpret on a 20k-token tiny-random run', () => {
  let out: string;
  let r: { status: number; out: string; err: string };
  beforeAll(async () => {
    out = path.join(root, 'interp');
    r = await runCli(['interpret', '--sae', sae, '--data', extraction, '--out', out, '--latents', '0-63', '--top', '5']);
  }, 120_000);

  it('reads every activation row once and reports the selection', () => {
    expect(r.status).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${out}: 19,684 tokens through 64 latents \\(\\d+ never fired\\); viewer ${out}/viewer/index.html`));
  });

  it('writes tables whose top examples are the latents largest values, joined to the sotu text', async () => {
    const latents = await readParquetTable(path.join(out, 'latents.parquet'));
    expect(latents.numRows).toBe(64);
    const examples = (await readParquetTable(path.join(out, 'examples.parquet'))).toArray();
    for (const l of latents.toArray()) {
      const top = examples.filter((e) => e.latent === l.id && e.kind === 'top');
      if (l.count === 0) continue;
      expect(top.length).toBeLessThanOrEqual(5);
      expect(top[0].value).toBeCloseTo(l.max, 6); // the first top example holds the latent's max
      for (let i = 1; i < top.length; i++) expect(top[i].value).toBeLessThanOrEqual(top[i - 1].value);
      for (const e of top) expect(Math.max(...e.acts.toArray())).toBeCloseTo(e.value, 6); // its context's max
    }
    const page = await readFile(path.join(out, 'viewer', 'data', 'l', '0.js'), 'utf8');
    const record = JSON.parse(page.slice('SAE_VIEWER.latent('.length, -3));
    expect(record.top[0].tokens[0]).toBe('<|endoftext|>'); // BOS, then sotu text
    expect(record.top[0].tokens.join('').length).toBeGreaterThan(20);
    expect(record.logits.positive).toHaveLength(10);
    const meta = await readFile(path.join(out, 'viewer', 'data', 'meta.js'), 'utf8');
    expect(meta).toMatch(/"banner":"tiny-random is an untrained/);
  });

  it('refuses activations of another width and a directory that is no extraction run', async () => {
    const other = path.join(root, 'other');
    expect((await runCli(['extract', '--model', 'tiny-random', '--corpus', 'sotu', '--hook', 'blocks.1.mlp.hook_post', '--max-tokens', '700', '--out', other])).status).toBe(0);
    const wrong = await runCli(['interpret', '--sae', sae, '--data', other, '--out', path.join(root, 'x')]);
    expect(wrong.status).toBe(1);
    expect(wrong.err).toMatch(/saestream: the SAE \(d_in 64, model tiny-random, hook blocks\.1\.hook_resid_post\) and the activations \(d_model 256, model tiny-random, hook blocks\.1\.mlp\.hook_post\) differ in width/);
    const none = await runCli(['interpret', '--sae', sae, '--data', root, '--out', path.join(root, 'y')]);
    expect(none.status).toBe(1);
    expect(none.err).toMatch(/is not a finished extraction run/);
  }, 60_000);
});

/**
 * The whole way to a person's eyes: extract → train → interpret → `saestream view`'s server →
 * Debian's chromium (playwright-core). Skipped only where chromium is absent outside CI.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inBrowser = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

inBrowser('the viewer of a real interpret run, in chromium', () => {
  it('shows a latent whose highlighted tokens and values are the interpret tables', async () => {
    const out = path.join(root, 'interp-view');
    expect((await runCli(['interpret', '--sae', sae, '--data', extraction, '--out', out, '--latents', '0-31', '--top', '5'])).status).toBe(0);
    const examples = (await readParquetTable(path.join(out, 'examples.parquet'))).toArray();
    const first = examples.find((e) => e.kind === 'top' && e.rank === 0);
    const latent = first.latent as number;
    const record = JSON.parse((await readFile(path.join(out, 'viewer', 'data', 'l', `${latent}.js`), 'utf8')).slice('SAE_VIEWER.latent('.length, -3));

    const server = await startStaticServer(path.join(out, 'viewer'), { port: 0 });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.waitForSelector(`[data-testid="latent-row"][data-latent-id="${latent}"]`);
      await page.click(`[data-testid="latent-row"][data-latent-id="${latent}"] a, [data-testid="latent-row"][data-latent-id="${latent}"]`);
      await page.waitForSelector(`[data-testid="latent-page"][data-latent-id="${latent}"]`);
      const spans = await page.$$eval('[data-testid="top-examples"] [data-example-index="0"] .tok', (els) =>
        els.map((s) => ({ text: s.textContent ?? '', act: (s as HTMLElement).dataset.act ?? '', marked: s.classList.contains('max'), coloured: (s as HTMLElement).style.backgroundColor !== '' })),
      );
      // the tables' row for this example: the latent's value at every position, and the marked one
      const acts = Array.from(first.acts.toArray() as Float32Array);
      expect(spans.map((s) => Number(s.act))).toEqual(acts);
      expect(spans.map((s) => s.coloured)).toEqual(acts.map((a) => a > 0));
      expect(spans.findIndex((s) => s.marked)).toBe(first.pos);
      expect(Number(spans[first.pos].act)).toBe(first.value);
      expect(spans.map((s) => s.text)).toEqual(record.top[0].tokens.map((t: string) => t.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/\r/g, '␍')));
      expect(await page.textContent('[data-testid="banner"]')).toMatch(/untrained/);
      const shot = path.join(process.env.SAESTREAM_ARTIFACTS ?? root, 'viewer-latent.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  }, 120_000);
});
