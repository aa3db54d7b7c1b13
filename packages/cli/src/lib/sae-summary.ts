/**
 * What `sae info` reports about an autoencoder, as plain data (printed as text, or as one JSON
 * line): its format and files, spec, metadata, the loader's notes, and per-parameter statistics.
 *
 *   min, max  over the float32 values, exact
 *   mean      Σ x / count, summed in float64
 *   decoder norms   ‖decoder[l, :]‖₂ per latent l (summed in float64): the columns of OpenAI's
 *                   decoder.weight [dIn, nLatents], the rows of SAELens W_dec [d_sae, d_in]
 */
import type { Sae, SaeFile, SaeFormat, SaeMeta, SaeSpec } from '@saestream/sae-core';
import { table } from './format';

export interface ValueStats {
  min: number;
  max: number;
  mean: number;
}

export interface ParamStats extends ValueStats {
  /** As saestream holds it: both matrices latent-major `[nLatents, dIn]`. */
  shape: number[];
}

export interface SaeSummary {
  path: string;
  format: SaeFormat;
  files: string[];
  spec: SaeSpec;
  meta: SaeMeta;
  /** What the loader assumed, one sentence each (e.g. normalize for an OpenAI .pt file). */
  notes: string[];
  parameters: Record<keyof Sae['params'], ParamStats>;
  /** Over the nLatents decoder directions. */
  decoderNorms: { min: number; max: number };
}

/** min, max and mean of `values`; all NaN when empty. */
export function valueStats(values: ArrayLike<number>): ValueStats {
  if (values.length === 0) return { min: NaN, max: NaN, mean: NaN };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  return { min, max, mean: sum / values.length };
}

/** ‖row‖₂ of each row of a row-major `[rows, cols]` matrix. */
export function rowNorms(m: Float32Array, rows: number, cols: number): Float64Array {
  const norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = r * cols; c < (r + 1) * cols; c++) sum += m[c] * m[c];
    norms[r] = Math.sqrt(sum);
  }
  return norms;
}

export function summarizeSae(path: string, loaded: SaeFile): SaeSummary {
  const { spec, params, meta } = loaded.sae;
  const { dIn, nLatents } = spec;
  const stats = (shape: number[], values: Float32Array): ParamStats => ({ shape, ...valueStats(values) });
  const norms = valueStats(rowNorms(params.decoder, nLatents, dIn));
  return {
    path,
    format: loaded.format,
    files: loaded.files,
    spec,
    meta,
    notes: loaded.notes,
    parameters: {
      preBias: stats([dIn], params.preBias),
      latentBias: stats([nLatents], params.latentBias),
      encoder: stats([nLatents, dIn], params.encoder),
      decoder: stats([nLatents, dIn], params.decoder),
    },
    decoderNorms: { min: norms.min, max: norms.max },
  };
}

/** Six significant digits for people; `--json` prints the numbers exactly. */
const num = (x: number): string => String(Number(x.toPrecision(6)));
const shapeText = (shape: number[]): string => `[${shape.join(', ')}]`;

/** The summary for people: what the file is, the spec, where it reads from, the parameters. */
export function saeSummaryText(s: SaeSummary): string[] {
  const { spec, meta } = s;
  const known: [string, unknown][] = [
    ['model', meta.modelName],
    ['hook', meta.hookName],
    ['context_size', meta.contextSize],
    ['prepend_bos', meta.prependBos],
    ['dataset', meta.datasetPath],
  ];
  const about = [
    ['d_in', String(spec.dIn)],
    ['n_latents', String(spec.nLatents)],
    ['activation', spec.activation === 'topk' ? `topk (k=${spec.k})` : spec.activation],
    ['normalize', `${spec.normalize}${spec.normalize ? " (OpenAI's input LayerNorm)" : ''}`],
    ...known.filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]),
  ];
  const rows = Object.entries(s.parameters).map(([name, p]) => [name, shapeText(p.shape), num(p.min), num(p.max), num(p.mean)]);
  const files = s.files.length === 1 && s.files[0] === s.path ? [] : [`files: ${s.files.join(', ')}`];
  return [
    `${s.path} (${s.format})`,
    ...files,
    ...table(about).map((l) => `  ${l}`),
    'parameters (latent-major, as saestream holds them):',
    ...table([['name', 'shape', 'min', 'max', 'mean'], ...rows], [2, 3, 4]).map((l) => `  ${l}`),
    `decoder norms per latent: min ${num(s.decoderNorms.min)}, max ${num(s.decoderNorms.max)}`,
    ...s.notes.map((n) => `note: ${n}`),
  ];
}
