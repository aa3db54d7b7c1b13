/**
 * A spliced evaluation for people: one row for the run, then one per position bucket.
 *
 *   positions      positions spliced (BOS excluded)
 *   clean … mean   next-token loss, nats: the model's own, with the SAE spliced in, zero- and mean-ablated
 *   Δ loss         spliced − clean
 *   CE rec         (ablated − spliced) / (ablated − clean), against zero- and mean-ablation
 *   KL             KL(clean ‖ spliced) of the next-token distributions, nats per prediction
 *   EV             explained variance of the reconstruction;  L0, dead %: latents per position, never active
 */
import type { SpliceMeasures, SplicedEvalReport } from '@saestream/extract';
import { table } from './format';

const fixed = (digits: number) => (x: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const loss = fixed(4);
const percent = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');

const HEADER = ['', 'positions', 'clean', 'spliced', 'zero-abl', 'mean-abl', 'Δ loss', 'CE rec (zero)', 'CE rec (mean)', 'KL', 'EV', 'L0', 'dead'];

function row(label: string, m: SpliceMeasures): string[] {
  return [
    label,
    m.positions.toLocaleString('en-US'),
    loss(m.cleanLoss),
    loss(m.splicedLoss),
    loss(m.zeroAblationLoss),
    loss(m.meanAblationLoss),
    loss(m.deltaLoss),
    fixed(3)(m.ceRecoveredZero),
    fixed(3)(m.ceRecoveredMean),
    fixed(5)(m.kl),
    fixed(3)(m.explainedVariance),
    fixed(1)(m.l0),
    percent(m.deadFraction),
  ];
}

/** The table's lines: header, the run, each bucket (`pos 1–7`, …). */
export function evalTable(r: SplicedEvalReport): string[] {
  const rows = [HEADER, row('all', r.total), ...r.buckets.map((b) => row(`pos ${b.from}–${b.to}`, b))];
  return table(rows, HEADER.map((_, i) => i).slice(1));
}
