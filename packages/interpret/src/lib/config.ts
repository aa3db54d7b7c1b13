/**
 * What an interpretation pass keeps per latent, with its defaults. Memory is bounded by these
 * (per latent: topN contexts, bins × reservoir samples), never by the number of tokens.
 */
import { InterpretError } from './errors';

export interface InterpretConfig {
  /** Top-activating contexts kept per latent (one per context: its maximum). */
  topN: number;
  /** Log-spaced histogram bins of non-zero values over [histMin, histMax] (values outside go to the end bins). */
  histBins: number;
  histMin: number;
  histMax: number;
  /** Quantile bands of the non-zero values to show examples from. */
  quantileBands: number;
  /** Examples kept per histogram bin (reservoir) and shown per band. */
  reservoir: number;
  /** Seeds the reservoirs. */
  seed: number;
  /** Rows encoded at once. */
  batchRows: number;
  /** Logit effects shown per direction. */
  topLogits: number;
}

export const defaultInterpretConfig: InterpretConfig = { topN: 20, histBins: 60, histMin: 1e-3, histMax: 1e3, quantileBands: 10, reservoir: 3, seed: 0, batchRows: 4096, topLogits: 10 };

export function validateInterpretConfig(config: Partial<InterpretConfig>): InterpretConfig {
  const unknown = Object.keys(config).filter((key) => !(key in defaultInterpretConfig));
  if (unknown.length) throw new InterpretError('BAD_ARGUMENT', `unknown interpret config field '${unknown[0]}'; the fields are [${Object.keys(defaultInterpretConfig).join(', ')}]`);
  const c = { ...defaultInterpretConfig, ...config };
  for (const f of ['topN', 'histBins', 'quantileBands', 'reservoir', 'batchRows', 'topLogits'] as const) {
    if (!Number.isInteger(c[f]) || c[f] < 1) throw new InterpretError('BAD_ARGUMENT', `'${f}' must be a positive integer but got ${c[f]}`);
  }
  if (!(c.histMin > 0 && c.histMax > c.histMin)) throw new InterpretError('BAD_ARGUMENT', `histogram range must satisfy 0 < histMin < histMax but got [${c.histMin}, ${c.histMax}]`);
  return c;
}
