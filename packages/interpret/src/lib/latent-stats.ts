/**
 * Per-latent statistics over a stream of contexts, in bounded memory:
 *
 *   count, sum, max          over the latent's non-zero values (density = count / tokens)
 *   histogram                log-spaced bins of the non-zero values
 *   top                      the topN contexts by the latent's maximum in the context
 *                            (ties: lower ctx first), with its value at every position
 *   reservoirs               per histogram bin, a uniform sample of `reservoir` (ctx, pos) examples
 *                            (Vitter's algorithm R, seeded), for examples across quantiles
 *
 * Contexts are offered whole (`addContext`), so each example carries the latent's activations
 * over its context.
 */
import { InterpretConfig } from './config';

/** One example: a position in a context, with the latent's non-zero values over the context. */
export interface Example {
  ctx: number;
  pos: number;
  value: number;
  /** positions in the context where the latent is non-zero, ascending */
  actPos: Uint16Array;
  actVal: Float32Array;
}

/** The non-zero latents of one context: parallel arrays of (pos, latent, value). */
export interface ContextCodes {
  ctx: number;
  pos: Uint16Array;
  latent: Int32Array;
  value: Float32Array;
}

/** `true` when a ranks below b in a top list: smaller value, or equal value and later ctx. */
const below = (a: Example, b: Example): boolean => a.value < b.value || (a.value === b.value && a.ctx > b.ctx);

export class LatentStats {
  /** slot of each latent id, −1 when not selected */
  private readonly slotOf: Int32Array;
  readonly count: Float64Array;
  readonly sum: Float64Array;
  readonly max: Float32Array;
  /** `[slots, histBins]` */
  readonly hist: Uint32Array;
  /** min-heaps (root = the weakest kept) */
  private readonly heaps: Example[][];
  /** created when a bin first gets a value: most (latent, bin) pairs never do */
  private readonly reservoirs: (Example[] | undefined)[];
  readonly edges: Float64Array;
  tokens = 0;
  private rngState: number;

  constructor(
    readonly latents: Int32Array,
    nLatents: number,
    private readonly config: InterpretConfig,
  ) {
    this.slotOf = new Int32Array(nLatents).fill(-1);
    latents.forEach((j, s) => (this.slotOf[j] = s));
    const slots = latents.length;
    this.count = new Float64Array(slots);
    this.sum = new Float64Array(slots);
    this.max = new Float32Array(slots);
    this.hist = new Uint32Array(slots * config.histBins);
    this.heaps = Array.from({ length: slots }, () => []);
    this.reservoirs = new Array(slots * config.histBins);
    const { histMin, histMax, histBins } = config;
    this.edges = Float64Array.from({ length: histBins + 1 }, (_, i) => histMin * (histMax / histMin) ** (i / histBins));
    this.rngState = config.seed >>> 0;
  }

  /** The histogram bin of a non-zero value (clamped to the end bins). */
  bin(v: number): number {
    const { histMin, histMax, histBins } = this.config;
    const b = Math.floor((Math.log(v / histMin) / Math.log(histMax / histMin)) * histBins);
    return b < 0 ? 0 : b >= histBins ? histBins - 1 : b;
  }

  /** mulberry32 in [0, 1) */
  private random(): number {
    this.rngState = (this.rngState + 0x6d2b79f5) >>> 0;
    let t = Math.imul(this.rngState ^ (this.rngState >>> 15), this.rngState | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * Counts one whole context's tokens and its non-zero latents.
   * @param tokens rows of the context in the stream (its positions present)
   */
  addContext(codes: ContextCodes, tokens: number): void {
    this.tokens += tokens;
    // group the entries of selected latents by latent, keeping position order
    const bySlot = new Map<number, number[]>();
    for (let i = 0; i < codes.latent.length; i++) {
      const s = this.slotOf[codes.latent[i]];
      if (s < 0) continue;
      const list = bySlot.get(s);
      if (list) list.push(i);
      else bySlot.set(s, [i]);
    }
    const bins = this.config.histBins;
    for (const [s, entries] of bySlot) {
      entries.sort((a, b) => codes.pos[a] - codes.pos[b]);
      const actPos = Uint16Array.from(entries, (i) => codes.pos[i]);
      const actVal = Float32Array.from(entries, (i) => codes.value[i]);
      let best = 0;
      for (let e = 0; e < entries.length; e++) {
        const v = actVal[e];
        if (v > actVal[best]) best = e;
        this.count[s]++;
        this.sum[s] += v;
        if (v > this.max[s]) this.max[s] = v;
        const b = this.bin(v);
        const seen = ++this.hist[s * bins + b];
        const res = (this.reservoirs[s * bins + b] ??= []);
        const example = (): Example => ({ ctx: codes.ctx, pos: actPos[e], value: v, actPos, actVal });
        if (res.length < this.config.reservoir) res.push(example());
        else {
          const j = Math.floor(this.random() * seen);
          if (j < this.config.reservoir) res[j] = example();
        }
      }
      this.offerTop(s, { ctx: codes.ctx, pos: actPos[best], value: actVal[best], actPos, actVal });
    }
  }

  private offerTop(s: number, ex: Example): void {
    const heap = this.heaps[s];
    const n = this.config.topN;
    if (heap.length < n) {
      heap.push(ex);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!below(heap[i], heap[p])) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    } else if (below(heap[0], ex)) {
      heap[0] = ex;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && below(heap[l + 1], heap[l]) ? l + 1 : l;
        if (!below(heap[c], heap[i])) break;
        [heap[i], heap[c]] = [heap[c], heap[i]];
        i = c;
      }
    }
  }

  /** The kept top contexts of the latent in slot s, best first. */
  top(s: number): Example[] {
    return [...this.heaps[s]].sort((a, b) => (below(a, b) ? 1 : below(b, a) ? -1 : 0));
  }

  /** The histogram counts of slot s. */
  histogram(s: number): number[] {
    return Array.from(this.hist.subarray(s * this.config.histBins, (s + 1) * this.config.histBins));
  }

  /**
   * Examples across the quantiles of the non-zero values: for band b (quantiles [b/B, (b+1)/B)),
   * the reservoir of the bin holding the band's middle quantile. Bands landing in the same bin
   * are merged.
   */
  quantileExamples(s: number): { qLo: number; qHi: number; lo: number; hi: number; examples: Example[] }[] {
    const counts = this.histogram(s);
    const total = this.count[s];
    if (total === 0) return [];
    const B = this.config.quantileBands;
    const out: { qLo: number; qHi: number; lo: number; hi: number; examples: Example[]; bin: number }[] = [];
    for (let b = 0; b < B; b++) {
      const target = ((b + 0.5) / B) * total;
      let cum = 0;
      let bin = 0;
      for (; bin < counts.length - 1; bin++) {
        cum += counts[bin];
        if (cum > target) break;
      }
      const last = out[out.length - 1];
      if (last && last.bin === bin) {
        last.qHi = (b + 1) / B;
        continue;
      }
      const examples = [...(this.reservoirs[s * this.config.histBins + bin] ?? [])].sort((x, y) => y.value - x.value || x.ctx - y.ctx);
      out.push({ qLo: b / B, qHi: (b + 1) / B, lo: this.edges[bin], hi: this.edges[bin + 1], examples, bin });
    }
    return out.map((band) => ({ qLo: band.qLo, qHi: band.qHi, lo: band.lo, hi: band.hi, examples: band.examples }));
  }
}
