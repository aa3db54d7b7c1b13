/**
 * Sums over evaluated token positions, kept for the whole run and per position bucket, and the
 * measures they give (every loss in nats per predicted token):
 *
 *   Δ loss                 = spliced − clean
 *   CE loss recovered      = (ablated − spliced) / (ablated − clean)     against zero- and mean-ablation
 *                            (1: the splice keeps all the loss ablation loses; 0: no better than ablating)
 *   KL                     = mean over predictions of KL(clean ‖ spliced)
 *   explained variance     = 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖²      x̄ the mean over the same positions, per dimension
 *   L0                     = mean number of active latents per position
 *   dead fraction          = latents active at none of the positions / latents
 *
 * Buckets are powers of two of the position in the context: [first, 8), [8, 16), [16, 32), …,
 * the last ending at the context size; `first` is 1 when the context starts with BOS (whose
 * position is never evaluated). Losses at position p predict token p + 1, so the last position
 * of a window counts towards explained variance, L0 and dead latents but not towards losses.
 */

/** The measures over a set of positions; NaN where undefined (no latents for an identity splice, no positions). */
export interface SpliceMeasures {
  /** Positions whose activation was spliced (BOS excluded). */
  positions: number;
  /** Positions with a next token, where losses and KL are measured. */
  predictions: number;
  cleanLoss: number;
  splicedLoss: number;
  zeroAblationLoss: number;
  meanAblationLoss: number;
  deltaLoss: number;
  ceRecoveredZero: number;
  ceRecoveredMean: number;
  kl: number;
  explainedVariance: number;
  l0: number;
  deadFraction: number;
}

/** A bucket of positions [from, to], inclusive. */
export interface PositionBucket {
  from: number;
  to: number;
}

/** [first, 7], [8, 15], [16, 31], … up to contextSize − 1. */
export function positionBuckets(contextSize: number, first: number): PositionBucket[] {
  const buckets: PositionBucket[] = [];
  for (let from = first, to = 7; from < contextSize; from = to + 1, to = 2 * to + 1) buckets.push({ from, to: Math.min(to, contextSize - 1) });
  return buckets;
}

/** Sums for one set of positions. */
class Sums {
  positions = 0;
  predictions = 0;
  clean = 0;
  spliced = 0;
  zero = 0;
  mean = 0;
  kl = 0;
  sse = 0; // Σ‖x − x̂‖²
  sumSq = 0; // Σ‖x‖²
  active = 0; // Σ active latents
  readonly sum: Float64Array; // Σ x, per dimension
  readonly fired: Uint8Array | null;

  constructor(width: number, nLatents: number | null) {
    this.sum = new Float64Array(width);
    this.fired = nLatents === null ? null : new Uint8Array(nLatents);
  }

  measures(): SpliceMeasures {
    const p = this.predictions;
    const [clean, spliced, zero, mean] = [this.clean / p, this.spliced / p, this.zero / p, this.mean / p];
    let meanSq = 0; // n‖x̄‖²
    for (const s of this.sum) meanSq += (s * s) / this.positions;
    let dead = 0;
    for (const f of this.fired ?? []) if (!f) dead++;
    return {
      positions: this.positions,
      predictions: p,
      cleanLoss: clean,
      splicedLoss: spliced,
      zeroAblationLoss: zero,
      meanAblationLoss: mean,
      deltaLoss: spliced - clean,
      ceRecoveredZero: (zero - spliced) / (zero - clean),
      ceRecoveredMean: (mean - spliced) / (mean - clean),
      kl: this.kl / p,
      explainedVariance: 1 - this.sse / (this.sumSq - meanSq),
      l0: this.fired ? this.active / this.positions : NaN,
      deadFraction: this.fired ? dead / this.fired.length : NaN,
    };
  }
}

/** The run's sums and each bucket's; positions outside every bucket (BOS) are refused. */
export class EvalTally {
  private readonly total: Sums;
  private readonly byBucket: Sums[];
  private readonly bucketOf: Int32Array; // position → bucket index, −1 for none

  constructor(
    readonly buckets: PositionBucket[],
    private readonly width: number,
    nLatents: number | null,
  ) {
    this.total = new Sums(width, nLatents);
    this.byBucket = buckets.map(() => new Sums(width, nLatents));
    this.bucketOf = new Int32Array(buckets.length ? buckets[buckets.length - 1].to + 1 : 0).fill(-1);
    buckets.forEach((b, i) => this.bucketOf.fill(i, b.from, b.to + 1));
  }

  private sums(pos: number): Sums[] {
    const i = pos < this.bucketOf.length ? this.bucketOf[pos] : -1;
    if (i < 0) throw new RangeError(`position ${pos} is in no bucket (${this.buckets.map((b) => `${b.from}–${b.to}`).join(', ')})`);
    return [this.total, this.byBucket[i]];
  }

  /**
   * One spliced position.
   * @param x `[width]` the clean activation; `recons` its reconstruction
   * @param active the latents active there (none for a splice without latents)
   */
  addActivation(pos: number, x: Float32Array, recons: Float32Array, active: ArrayLike<number>): void {
    let sse = 0;
    let sumSq = 0;
    for (let i = 0; i < this.width; i++) {
      sse += (x[i] - recons[i]) ** 2;
      sumSq += x[i] * x[i];
    }
    for (const s of this.sums(pos)) {
      s.positions++;
      s.sse += sse;
      s.sumSq += sumSq;
      for (let i = 0; i < this.width; i++) s.sum[i] += x[i];
      s.active += active.length;
      if (s.fired) for (let j = 0; j < active.length; j++) s.fired[active[j]] = 1;
    }
  }

  /** One prediction's losses (nats) and KL at position `pos`. */
  addPrediction(pos: number, losses: { clean: number; spliced: number; zero: number; mean: number; kl: number }): void {
    for (const s of this.sums(pos)) {
      s.predictions++;
      s.clean += losses.clean;
      s.spliced += losses.spliced;
      s.zero += losses.zero;
      s.mean += losses.mean;
      s.kl += losses.kl;
    }
  }

  /** The measures over every position, and per bucket. */
  measures(): { total: SpliceMeasures; buckets: (PositionBucket & SpliceMeasures)[] } {
    return { total: this.total.measures(), buckets: this.buckets.map((b, i) => ({ ...b, ...this.byBucket[i].measures() })) };
  }
}
