/**
 * What `interpret` writes to OUT:
 *
 *   interpret.json          the manifest: SAE, data, counts, settings (written last)
 *   latents.parquet         one row per latent: id, count, density, mean, max
 *   examples.parquet        one row per example: latent, kind (top | quantile), rank, band,
 *                           ctx, doc, offset, pos, token, value, acts (List<Float32>)
 *   viewer/                 the static viewer and its data/ (VIEWER-DATA.md)
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { tableFromArrays, makeVector, Table, List, Field, Float32, vectorFromArray } from 'apache-arrow';
import { writeFileAtomic, writeParquetTable } from '@saestream/io';
import { LatentRecord, snippet } from './report';

export const VIEWER_ASSETS = path.join(__dirname, '..', '..', 'viewer');

export interface ViewerMeta {
  model: string | null;
  hook: string | null;
  dIn: number;
  nLatents: number;
  k: number;
  tokens: number;
  latentsShown: number;
  topN: number;
  banner: string | null;
  /** Δ loss, CE loss recovered, KL of the SAE spliced into the model, when evaluated */
  eval: { deltaLoss: number; ceRecoveredZero: number; ceRecoveredMean: number; kl: number } | null;
  logitsFoldLnF: false;
  createdAt: string;
}

export async function writeTables(outDir: string, records: LatentRecord[]): Promise<void> {
  await writeParquetTable(
    path.join(outDir, 'latents.parquet'),
    tableFromArrays({
      id: Int32Array.from(records, (r) => r.id),
      count: Float64Array.from(records, (r) => r.count),
      density: Float64Array.from(records, (r) => r.density),
      mean: Float32Array.from(records, (r) => r.mean),
      max: Float32Array.from(records, (r) => r.max),
    }),
  );
  const rows = records.flatMap((r) => [
    ...r.top.map((ex, rank) => ({ latent: r.id, kind: 'top', rank, band: -1, ex })),
    ...r.quantiles.flatMap((b, band) => b.examples.map((ex, rank) => ({ latent: r.id, kind: 'quantile', rank, band, ex }))),
  ]);
  const acts = vectorFromArray(
    rows.map((x) => Float32Array.from(x.ex.acts)),
    new List(new Field('item', new Float32(), true)),
  );
  const table = new Table({
    latent: makeVector(Int32Array.from(rows, (x) => x.latent)),
    kind: vectorFromArray(rows.map((x) => x.kind)),
    rank: makeVector(Int32Array.from(rows, (x) => x.rank)),
    band: makeVector(Int32Array.from(rows, (x) => x.band)),
    ctx: makeVector(Uint32Array.from(rows, (x) => x.ex.ctx)),
    doc: makeVector(Uint32Array.from(rows, (x) => x.ex.doc)),
    offset: makeVector(Uint32Array.from(rows, (x) => x.ex.offset)),
    pos: makeVector(Uint16Array.from(rows, (x) => x.ex.pos)),
    token: makeVector(Int32Array.from(rows, (x) => x.ex.token)),
    value: makeVector(Float32Array.from(rows, (x) => x.ex.value)),
    acts,
  });
  await writeParquetTable(path.join(outDir, 'examples.parquet'), table);
}

/** A viewer data file: a call of the viewer's global with the object as JSON (VIEWER-DATA.md). */
export const viewerDataScript = (fn: 'meta' | 'latents' | 'latent', value: unknown): string => `SAE_VIEWER.${fn}(${JSON.stringify(value)});\n`;
const js = viewerDataScript;

/** Copies the viewer and writes its data files (each a script calling SAE_VIEWER.*). */
export async function writeViewer(outDir: string, meta: ViewerMeta, records: LatentRecord[]): Promise<string> {
  const viewer = path.join(outDir, 'viewer');
  await mkdir(path.join(viewer, 'data', 'l'), { recursive: true });
  await cp(VIEWER_ASSETS, viewer, { recursive: true });
  for (const r of records) await writeFile(path.join(viewer, 'data', 'l', `${r.id}.js`), js('latent', r));
  await writeFileAtomic(
    path.join(viewer, 'data', 'latents.js'),
    js('latents', { columns: ['id', 'count', 'density', 'mean', 'max', 'top'], rows: records.map((r) => [r.id, r.count, r.density, r.mean, r.max, snippet(r.top[0])]) }),
  );
  await writeFileAtomic(path.join(viewer, 'data', 'meta.js'), js('meta', meta));
  return path.join(viewer, 'index.html');
}
