/**
 * The results of a pass in the shapes people read: one record per latent (summary, histogram,
 * logit effects, top and quantile examples joined to their text).
 */
import { ContextRow } from './contexts-join';
import { Example, LatentStats } from './latent-stats';
import { LogitEffects } from './logit-effects';
import { TokenText } from './token-text';

export interface ExampleRecord {
  ctx: number;
  doc: number;
  offset: number;
  /** position of the example's value in `tokens` / `acts` */
  pos: number;
  value: number;
  token: number;
  tokens: string[];
  /** the latent's value at every position of the context */
  acts: number[];
}

export interface LatentRecord {
  id: number;
  count: number;
  density: number;
  mean: number;
  max: number;
  histogram: { edges: number[]; counts: number[] };
  logits: { positive: { token: string; id: number; value: number }[]; negative: { token: string; id: number; value: number }[] } | null;
  top: ExampleRecord[];
  quantiles: { label: string; qLo: number; qHi: number; lo: number; hi: number; examples: ExampleRecord[] }[];
}

export function exampleRecord(ex: Example, contexts: Map<number, ContextRow>, text: TokenText | null): ExampleRecord {
  const c = contexts.get(ex.ctx) as ContextRow;
  const acts = new Array<number>(c.tokens.length).fill(0);
  ex.actPos.forEach((p, i) => (acts[p] = ex.actVal[i]));
  return {
    ctx: ex.ctx,
    doc: c.doc,
    offset: c.offset,
    pos: ex.pos,
    value: ex.value,
    token: c.tokens[ex.pos],
    tokens: text ? text.tokens(c.tokens) : Array.from(c.tokens, (t) => `<${t}>`),
    acts,
  };
}

export function latentRecords(stats: LatentStats, contexts: Map<number, ContextRow>, text: TokenText | null, logits: LogitEffects[] | null): LatentRecord[] {
  const name = (id: number): string => (text ? text.token(id) : `<${id}>`);
  return Array.from(stats.latents, (id, s) => ({
    id,
    count: stats.count[s],
    density: stats.count[s] / stats.tokens,
    mean: stats.count[s] ? stats.sum[s] / stats.count[s] : 0,
    max: stats.max[s],
    histogram: { edges: Array.from(stats.edges), counts: stats.histogram(s) },
    logits: logits
      ? {
          positive: logits[s].positive.map((e) => ({ token: name(e.token), id: e.token, value: e.value })),
          negative: logits[s].negative.map((e) => ({ token: name(e.token), id: e.token, value: e.value })),
        }
      : null,
    top: stats.top(s).map((ex) => exampleRecord(ex, contexts, text)),
    quantiles: stats.quantileExamples(s).map((b) => ({
      label: `q ${b.qLo.toFixed(2)}–${b.qHi.toFixed(2)}`,
      qLo: b.qLo,
      qHi: b.qHi,
      lo: b.lo,
      hi: b.hi,
      examples: b.examples.map((ex) => exampleRecord(ex, contexts, text)),
    })),
  }));
}

/** Every context an example of any latent points at. */
export function wantedContexts(stats: LatentStats): Set<number> {
  const wanted = new Set<number>();
  stats.latents.forEach((_, s) => {
    for (const ex of stats.top(s)) wanted.add(ex.ctx);
    for (const band of stats.quantileExamples(s)) for (const ex of band.examples) wanted.add(ex.ctx);
  });
  return wanted;
}

/** A few tokens around the example's position, for the list's search. */
export function snippet(ex: ExampleRecord | undefined, radius = 6): string {
  if (!ex) return '';
  return ex.tokens.slice(Math.max(0, ex.pos - radius), ex.pos + radius + 1).join('');
}
