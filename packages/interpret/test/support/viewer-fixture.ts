/**
 * A small viewer directory, written per VIEWER-DATA.md: the static viewer files copied from
 * packages/interpret/viewer/ plus data/ for 250 latents (ids 0, 2, …, 498 of 512) with values
 * known here, so the browser tests compare what the page shows with numbers it never computed.
 *
 * Latent 6 carries the awkward tokens: `<b>&` (must show as literal text, not HTML), tokens with
 * a leading space, a newline, and an incomplete UTF-8 sequence as escapes. Latent 8 has no logit
 * effects. Latent 1 has no data file.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { VIEWER_ASSETS, viewerDataScript, type ViewerMeta } from '../../src/lib/outputs';
import type { ExampleRecord, LatentRecord } from '../../src/lib/report';

/** The static viewer's source folder (index.html, app.js, style.css). */
export const VIEWER_SOURCE = VIEWER_ASSETS;
export const VIEWER_FILES = ['index.html', 'app.js', 'style.css'] as const;

/** data/latents.js's row as an object. */
export interface ViewerRow {
  id: number;
  count: number;
  density: number;
  mean: number;
  max: number;
  top: string;
}

/** The contract's own types (what `interpret` writes), so fixture and writer cannot drift apart. */
export type { ViewerMeta };
export type ViewerExample = ExampleRecord;
export type ViewerLatent = LatentRecord;

export interface ViewerFixture {
  /** The directory written: index.html, app.js, style.css, data/. */
  dir: string;
  indexHtml: string;
  meta: ViewerMeta;
  /** data/latents.js's rows, in file order (by id). */
  rows: ViewerRow[];
  details: Map<number, ViewerLatent>;
  /** Latents with something particular (see the file's comment). */
  ids: { awkward: number; noLogits: number; missing: number };
}

const TOKENS = 20_000;
const SHOWN = 250;
const SNIPPETS = [' the nation', ' of the people', ' in congress', ' we the people'];
const AWKWARD = { id: 6, snippet: ' nation<b>&', tokens: ['<|endoftext|>', ' The', ' nation', '<b>&', '\n', ' said', '\\xe2\\x80'], fractions: [0, 0.125, 0.5, 1, 0, 0.25, 0], pos: 3 };
const NO_LOGITS = 8;

/** Latent id = 2·j; maxima, counts and means are permutations of j, so every sort is unambiguous. */
function latent(j: number): ViewerLatent {
  const id = 2 * j;
  const max = 1 + ((j * 97) % SHOWN) / 8; // 97 is prime to 250: distinct maxima, exact in binary
  const count = 5 + ((j * 31) % SHOWN) * 3;
  const example = (e: number): ViewerExample => {
    const tokens = ['<|endoftext|>', ' The', ' word', ' of', ' latent', ` ${id}`];
    const pos = 2 + e;
    const value = max * (1 - e / 4);
    return { ctx: 10 * j + e, doc: j, offset: 64 * e, pos, value, token: 1000 + pos, tokens, acts: tokens.map((_, i) => (i === pos ? value : 0)) };
  };
  const top = [0, 1, 2].map(example);
  if (id === AWKWARD.id) {
    const acts = AWKWARD.fractions.map((f) => f * max);
    top[0] = { ctx: 7, doc: 1, offset: 128, pos: AWKWARD.pos, value: max, token: 1003, tokens: AWKWARD.tokens, acts };
  }
  const bins = 8;
  return {
    id,
    count,
    density: count / TOKENS,
    mean: max / 2,
    max,
    histogram: {
      edges: Array.from({ length: bins + 1 }, (_, i) => max * 10 ** (-2 + (2 * i) / bins)),
      // Empty bins at both ends, as where every latent shares one range of edges.
      counts: Array.from({ length: bins }, (_, i) => (i === 0 || i === bins - 1 ? 0 : ((i * 7 + j) % 9) + (i === 4 ? 20 : 0))),
    },
    logits:
      id === NO_LOGITS
        ? null
        : {
            positive: Array.from({ length: 10 }, (_, i) => ({ token: i === 0 && id === AWKWARD.id ? ' <i>x</i>' : ` up${i}`, id: 2000 + i, value: 1 - i / 16 })),
            negative: Array.from({ length: 10 }, (_, i) => ({ token: ` down${i}`, id: 3000 + i, value: -1 + i / 16 })),
          },
    top,
    quantiles: [
      { label: 'q 0.00–0.50', qLo: 0, qHi: 0.5, lo: 0, hi: max / 2, examples: [example(3)] },
      { label: 'q 0.50–1.00', qLo: 0.5, qHi: 1, lo: max / 2, hi: max, examples: [example(1), example(2)] },
    ],
  };
}

const dataScript = viewerDataScript;

/** Writes the viewer and its data into `dir` (created if needed) and returns what it holds. */
export async function writeViewerFixture(dir: string): Promise<ViewerFixture> {
  const meta: ViewerMeta = {
    model: 'fixture-gpt2',
    hook: 'blocks.1.hook_resid_post',
    dIn: 64,
    nLatents: 512,
    k: 8,
    tokens: TOKENS,
    latentsShown: SHOWN,
    topN: 3,
    banner: 'untrained model: these latents mean nothing',
    eval: null,
    logitsFoldLnF: false,
    createdAt: '2025-01-01T00:00:00.000Z',
  };
  const latents = Array.from({ length: SHOWN }, (_, j) => latent(j));
  const rows: ViewerRow[] = latents.map((l, j) => ({
    id: l.id,
    count: l.count,
    density: l.density,
    mean: l.mean,
    max: l.max,
    top: l.id === AWKWARD.id ? AWKWARD.snippet : SNIPPETS[j % SNIPPETS.length],
  }));
  const columns = ['id', 'count', 'density', 'mean', 'max', 'top'] as const;

  await mkdir(path.join(dir, 'data', 'l'), { recursive: true });
  await Promise.all(VIEWER_FILES.map((f) => copyFile(path.join(VIEWER_SOURCE, f), path.join(dir, f))));
  await writeFile(path.join(dir, 'data', 'meta.js'), dataScript('meta', meta));
  await writeFile(path.join(dir, 'data', 'latents.js'), dataScript('latents', { columns, rows: rows.map((r) => columns.map((c) => r[c])) }));
  await Promise.all(latents.map((l) => writeFile(path.join(dir, 'data', 'l', `${l.id}.js`), dataScript('latent', l))));

  return {
    dir,
    indexHtml: path.join(dir, 'index.html'),
    meta,
    rows,
    details: new Map(latents.map((l) => [l.id, l])),
    ids: { awkward: AWKWARD.id, noLogits: NO_LOGITS, missing: 1 },
  };
}
