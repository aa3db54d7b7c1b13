/**
 * The viewer's tests drive a real browser: Debian's chromium through playwright-core (which
 * downloads no browser of its own). Helpers here read the viewer's pages through their
 * data-testid hooks, so the interpret stage's end-to-end test can reuse them on real output.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The chromium binary: $CHROMIUM_PATH, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM_PATH);

/**
 * `describe` for tests that need the browser. Without chromium they are skipped with a reason,
 * except in CI (where $CI is set), which must run them: there a missing browser fails loudly.
 */
export function describeInBrowser(title: string, fn: () => void): void {
  if (chromiumAvailable() || process.env.CI) return describe(title, fn);
  const reason = `skipped: no chromium at ${CHROMIUM_PATH}; apt-get install chromium, or set CHROMIUM_PATH`;
  console.warn(`${title}: ${reason}`); // a skipped describe's title shows only under --verbose
  describe.skip(`${title} (${reason})`, fn);
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI and developers' machines run as root, where chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}

const errorsOf = new WeakMap<Page, string[]>();

/** A new page at `url`, recording uncaught script errors for {@link pageErrors}. */
export async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  errorsOf.set(page, errors);
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return page;
}

/** Uncaught errors the page's scripts threw since {@link openPage}; a working viewer has none. */
export const pageErrors = (page: Page): string[] => errorsOf.get(page) ?? [];

/** The latent ids of the list's current page, top to bottom. */
export async function listedIds(page: Page): Promise<number[]> {
  await page.waitForSelector('[data-testid="latent-table"]');
  return page.$$eval('[data-testid="latent-row"]', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.latentId)));
}

/** A token as a latent page shows it. */
export interface ShownToken {
  text: string;
  /** The span's data-act, the activation as the data file wrote it. */
  act: string;
  /** The span's title (what hovering shows). */
  title: string;
  /** Whether the span is marked as the example's position. */
  marked: boolean;
  /** The background's alpha, 0 when it has none. */
  alpha: number;
}

/**
 * The tokens of one example of the open latent page: `section` is `top-examples` for the top
 * activations or `quantiles` for the bands (whose examples are numbered within each band).
 */
export async function exampleTokens(page: Page, index: number, section: 'top-examples' | 'quantiles' = 'top-examples'): Promise<ShownToken[]> {
  const selector = `[data-testid="${section}"] [data-example-index="${index}"] .tok`;
  await page.waitForSelector(selector);
  return page.$$eval(selector, (spans) =>
    spans.map((s) => {
      const span = s as HTMLElement;
      const rgba = /rgba?\([^,]+,[^,]+,[^,)]+(?:,\s*([\d.]+))?\)/.exec(span.style.backgroundColor);
      return {
        text: span.textContent ?? '',
        act: span.dataset.act ?? '',
        title: span.title,
        marked: span.classList.contains('max'),
        alpha: rgba ? Number(rgba[1] ?? 1) : 0,
      };
    }),
  );
}
