/**
 * The static viewer (packages/interpret/viewer/) in chromium, on the fixture data of
 * test/support/viewer-fixture.ts, opened both from disk (file://) and over http: every test
 * runs under both, since file:// is where script-loaded data is the only way in.
 */
import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, exampleTokens, launchChromium, listedIds, openPage, pageErrors } from './support/browser';
import { serveDir } from './support/serve-dir';
import { ViewerFixture, ViewerRow, writeViewerFixture } from './support/viewer-fixture';

/** How the viewer shows a token: as it is, with a newline as ↵ (and tabs, CRs as ⇥, ␍). */
const shown = (token: string): string => token.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/\r/g, '␍');

/** The fixture's rows in an order, ties by id (there are none: the fixture's values are distinct). */
const sortedIds = (rows: ViewerRow[], key: keyof ViewerRow, direction: 1 | -1): number[] =>
  [...rows].sort((a, b) => direction * ((a[key] as number) - (b[key] as number)) || a.id - b.id).map((r) => r.id);

describeInBrowser('the viewer in chromium', () => {
  let fixture: ViewerFixture;
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  const pages: Page[] = [];

  beforeAll(async () => {
    fixture = await writeViewerFixture(await mkdtemp(path.join(tmpdir(), 'saestream-viewer-')));
    server = await serveDir(fixture.dir); // first, so afterAll closes it even if the launch fails
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(async () => {
    // Every page a test opened ran without a script error, then goes.
    for (const page of pages.splice(0)) {
      expect(pageErrors(page)).toEqual([]);
      await page.close();
    }
  });

  const transports: [string, () => string][] = [
    ['file://', () => pathToFileURL(fixture.indexHtml).href],
    ['http', () => server.url],
  ];

  describe.each(transports)('opened over %s', (_name, base) => {
    const open = async (hash = ''): Promise<Page> => {
      const page = await openPage(browser, base() + hash);
      pages.push(page);
      return page;
    };
    const pageInfo = (page: Page) => page.textContent('[data-testid="page-info"]');

    it('shows the run in the header and the banner', async () => {
      const page = await open();
      await page.waitForSelector('[data-testid="latent-table"]');
      const meta = await page.textContent('[data-testid="meta"]');
      for (const part of ['fixture-gpt2', 'blocks.1.hook_resid_post', '64 × 512, k=8', '20,000']) expect(meta).toContain(part);
      expect(await page.isVisible('[data-testid="banner"]')).toBe(true);
      expect(await page.textContent('[data-testid="banner"]')).toBe(fixture.meta.banner);
    });

    it('lists the first 100 latents by id with their counts and snippets as text', async () => {
      const page = await open();
      expect(await listedIds(page)).toEqual(fixture.rows.slice(0, 100).map((r) => r.id));
      const awkward = fixture.rows.find((r) => r.id === fixture.ids.awkward)!;
      const cells = await page.$$eval(`tr[data-latent-id="${awkward.id}"] td`, (tds) => tds.map((td) => ({ text: td.textContent, elements: td.querySelectorAll('*').length })));
      expect(cells[0].text).toBe(String(awkward.id));
      expect(cells[2].text).toBe(awkward.count.toLocaleString('en-US'));
      expect(cells[5]).toEqual({ text: awkward.top, elements: 0 }); // `<b>&` stayed text
      expect(await pageInfo(page)).toBe('page 1 of 3');
    });

    it('sorts by a column on click, the other way on a second click', async () => {
      const page = await open();
      await page.click('th[data-sort-key="max"]');
      expect(await page.getAttribute('th[data-sort-key="max"]', 'aria-sort')).toBe('descending');
      expect(await listedIds(page)).toEqual(sortedIds(fixture.rows, 'max', -1).slice(0, 100));
      await page.click('th[data-sort-key="max"]');
      expect(await page.getAttribute('th[data-sort-key="max"]', 'aria-sort')).toBe('ascending');
      expect(await listedIds(page)).toEqual(sortedIds(fixture.rows, 'max', 1).slice(0, 100));
      await page.click('th[data-sort-key="count"]');
      expect(await listedIds(page)).toEqual(sortedIds(fixture.rows, 'count', -1).slice(0, 100));
    });

    it('filters by id or by a substring of the snippet, and pages the matches', async () => {
      const page = await open();
      await page.fill('[data-testid="search"]', '42');
      expect(await listedIds(page)).toEqual([42]);
      await page.fill('[data-testid="search"]', 'b>&');
      expect(await listedIds(page)).toEqual([fixture.ids.awkward]);
      await page.fill('[data-testid="search"]', 'PEOPLE');
      const people = fixture.rows.filter((r) => r.top.includes('people')).map((r) => r.id);
      expect(people.length).toBeGreaterThan(100);
      expect(await listedIds(page)).toEqual(people.slice(0, 100));
      expect(await pageInfo(page)).toBe('page 1 of 2');
      await page.fill('[data-testid="search"]', '');
      expect(await pageInfo(page)).toBe('page 1 of 3');
    });

    it('pages 100 rows at a time with prev and next', async () => {
      const page = await open();
      const ids = fixture.rows.map((r) => r.id);
      expect(await page.isDisabled('[data-testid="prev-page"]')).toBe(true);
      await page.click('[data-testid="next-page"]');
      expect(await listedIds(page)).toEqual(ids.slice(100, 200));
      await page.click('[data-testid="next-page"]');
      expect({ ids: await listedIds(page), info: await pageInfo(page) }).toEqual({ ids: ids.slice(200), info: 'page 3 of 3' });
      expect(await page.isDisabled('[data-testid="next-page"]')).toBe(true);
      await page.click('[data-testid="prev-page"]');
      expect(await listedIds(page)).toEqual(ids.slice(100, 200));
    });

    it('opens a latent from its row and comes back to the list as it was left', async () => {
      const page = await open();
      await page.click('th[data-sort-key="max"]');
      const first = sortedIds(fixture.rows, 'max', -1)[0];
      await page.click(`tr[data-latent-id="${first}"] td.snippet`);
      expect(await page.textContent('[data-testid="latent-title"]')).toBe(`Latent ${first}`);
      await page.goBack();
      expect(await listedIds(page)).toEqual(sortedIds(fixture.rows, 'max', -1).slice(0, 100));
    });

    it("shows a latent's examples token by token: text, activation, colour, the marked position", async () => {
      const latent = fixture.details.get(fixture.ids.awkward)!;
      const page = await open(`#/latent/${latent.id}`);
      expect(await page.textContent('[data-testid="latent-title"]')).toBe(`Latent ${latent.id}`);
      expect(await page.textContent('[data-testid="stat-count"]')).toBe(latent.count.toLocaleString('en-US'));
      expect(await page.$$eval('[data-testid="top-examples"] [data-testid="example"]', (e) => e.length)).toBe(latent.top.length);
      for (const [i, ex] of latent.top.entries()) {
        const tokens = await exampleTokens(page, i);
        expect(tokens.map(({ text, act, title, marked }) => ({ text, act, title, marked }))).toEqual(
          ex.tokens.map((t, j) => ({ text: shown(t), act: String(ex.acts[j]), title: String(ex.acts[j]), marked: j === ex.pos })),
        );
        tokens.forEach((t, j) => expect(t.alpha).toBeCloseTo(ex.acts[j] / latent.max, 3)); // alpha ∝ act / max; none at 0
      }
      const awkward = await exampleTokens(page, 0);
      expect(awkward.map((t) => t.text)).toEqual(['<|endoftext|>', ' The', ' nation', '<b>&', '↵', ' said', '\\xe2\\x80']);
      expect(await page.$$('[data-testid="top-examples"] .tokens b')).toHaveLength(0); // no markup from the data
      const band = latent.quantiles[1];
      expect(await page.$$eval('[data-testid="quantile-band"]', (b) => b.length)).toBe(latent.quantiles.length);
      expect((await exampleTokens(page, 1, 'quantiles')).map((t) => t.act)).toEqual(band.examples[1].acts.map(String));
    });

    it('draws the histogram and the logit effects', async () => {
      const latent = fixture.details.get(fixture.ids.awkward)!;
      const page = await open(`#/latent/${latent.id}`);
      await page.waitForSelector('[data-testid="histogram"]');
      // A bar per bin from the first non-empty one to the last, the edges there labelled.
      const { counts, edges } = latent.histogram;
      const first = counts.findIndex((c) => c > 0);
      const last = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
      expect(await page.$$eval('[data-testid="histogram"] rect.bar', (r) => r.map((x) => Number(x.getAttribute('data-count'))))).toEqual(counts.slice(first, last + 1));
      const labels = await page.$$eval('[data-testid="histogram"] text', (t) => t.map((x) => x.textContent));
      expect(labels).toEqual(expect.arrayContaining([String(Number(edges[first].toPrecision(4))), String(Number(edges[last + 1].toPrecision(4))), 'activation (log scale)']));
      const items = (kind: string) => page.$$eval(`[data-testid="logits-${kind}"] li`, (li) => li.map((x) => [x.querySelector('.tok')!.textContent, x.querySelector('.value')!.textContent]));
      const positive = await items('positive');
      expect(positive).toHaveLength(10);
      expect(positive[0]).toEqual([latent.logits!.positive[0].token, '+1']); // ' <i>x</i>' as text
      expect((await items('negative'))[1]).toEqual([' down1', '-0.9375']);

      await page.goto(`${base()}#/latent/${fixture.ids.noLogits}`);
      await page.waitForSelector('[data-testid="logits-none"]');
    });

    it('says so when a latent has no data file', async () => {
      const page = await open(`#/latent/${fixture.ids.missing}`);
      const error = await page.waitForSelector('[data-testid="error"]');
      expect(await error.textContent()).toContain(`could not load data/l/${fixture.ids.missing}.js`);
      await page.click('text=← all latents');
      expect(await listedIds(page)).toHaveLength(100);
    });
  });

  it('saves a screenshot of a latent page', async () => {
    const dir = process.env.SAESTREAM_ARTIFACTS ?? tmpdir();
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'viewer-latent.png');
    const page = await openPage(browser, `${server.url}#/latent/${fixture.ids.awkward}`);
    pages.push(page);
    await page.waitForSelector('[data-testid="histogram"]');
    await page.screenshot({ path: file, fullPage: true });
    expect((await stat(file)).size).toBeGreaterThan(1000);
  });
});
