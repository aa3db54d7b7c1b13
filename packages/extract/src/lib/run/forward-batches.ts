/**
 * Context windows → forward passes → record batches. Windows are grouped `batchContexts` at a
 * time into one [batch, seq] token matrix; a window shorter than the longest (the end of a
 * document) is padded at its end, which changes nothing before the padding because attention
 * is causal, and the padded positions are dropped. Each pass yields one `contexts/1` batch
 * and, per hook, one `activations/1` batch of a row per kept token position:
 *
 *   row (ctx, pos, token, act[width]) for pos in [first, len(window)), first = 1 when BOS was
 *   prepended and its rows are not kept, else 0.
 */
import { RecordBatch, Schema } from 'apache-arrow';
import { activationsBatch, activationsSchema, contextsBatch, contextsSchema } from '@saestream/io';
import { ExtractConfig } from '../config';
import { Window } from '../corpus';
import { Gpt2Runner } from '../graph';
import { ExtractSource, hookWidth } from './source';

/** One forward pass's output. */
export interface ExtractedBatch {
  contexts: RecordBatch; // contexts/1, one row per window
  activations: Map<string, RecordBatch>; // hook → activations/1
  /** Window tokens in this pass (BOS included), for progress. */
  tokens: number;
}

/** The schemas every batch of a run carries, from the config and the model. */
export function runSchemas(source: ExtractSource, c: ExtractConfig): { contexts: Schema; activations: Map<string, Schema> } {
  const common = { model: source.modelId, corpus: source.corpusId };
  const activations = new Map(
    c.hooks.map((hook) => [
      hook,
      activationsSchema({ ...common, hook, dModel: hookWidth(source.gpt2, hook), contextSize: c.contextSize, prependBos: c.prependBos }),
    ]),
  );
  return { contexts: contextsSchema({ ...common, context_size: String(c.contextSize), prepend_bos: String(c.prependBos) }), activations };
}

/** The first position whose rows are kept. */
export const firstKept = (c: ExtractConfig): number => (c.prependBos && !c.keepBosRows ? 1 : 0);

/** Rows a window of `length` tokens contributes to each activation shard. */
export const rowsOf = (length: number, c: ExtractConfig): number => Math.max(0, length - firstKept(c));

async function* groups(windows: AsyncIterable<Window>, size: number, startCtx: number): AsyncGenerator<Window[]> {
  let group: Window[] = [];
  for await (const w of windows) {
    if (w.ctx < startCtx) continue;
    group.push(w);
    if (group.length === size) {
      yield group;
      group = [];
    }
  }
  if (group.length) yield group;
}

/** Runs the model over every window from `startCtx` on; the runner is released at the end. */
export async function* extractBatches(source: ExtractSource, c: ExtractConfig, startCtx = 0): AsyncGenerator<ExtractedBatch> {
  const schemas = runSchemas(source, c);
  const runner = await Gpt2Runner.create({ config: source.gpt2, weights: source.model.weights }, c.hooks, { intraOpThreads: c.threads });
  try {
    for await (const group of groups(source.windows(), c.batchContexts, startCtx)) {
      const seq = Math.max(...group.map((w) => w.tokens.length));
      const ids = new Int32Array(group.length * seq); // [batch, seq], zero-padded at the end
      group.forEach((w, b) => ids.set(w.tokens, b * seq));
      const out = await runner.run(ids, group.length, seq);
      const activations = new Map<string, RecordBatch>();
      for (const hook of c.hooks) {
        activations.set(hook, toRows(group, out.get(hook)!.data, seq, hookWidth(source.gpt2, hook), firstKept(c), schemas.activations.get(hook)!));
      }
      yield { contexts: toContexts(group, schemas.contexts), activations, tokens: group.reduce((n, w) => n + w.tokens.length, 0) };
    }
  } finally {
    await runner.release();
  }
}

/** Gathers the kept positions of each window out of a hook's [batch, seq, width] output. */
function toRows(group: Window[], data: Float32Array, seq: number, width: number, first: number, schema: Schema): RecordBatch {
  const rows = group.reduce((n, w) => n + Math.max(0, w.tokens.length - first), 0);
  const ctx = new Uint32Array(rows);
  const pos = new Uint16Array(rows);
  const token = new Int32Array(rows);
  const act = new Float32Array(rows * width); // [rows, width]
  let r = 0;
  group.forEach((w, b) => {
    for (let p = first; p < w.tokens.length; p++, r++) {
      ctx[r] = w.ctx;
      pos[r] = p;
      token[r] = w.tokens[p];
      const at = (b * seq + p) * width;
      act.set(data.subarray(at, at + width), r * width);
    }
  });
  return activationsBatch(schema, { ctx, pos, token, act });
}

function toContexts(group: Window[], schema: Schema): RecordBatch {
  const tokenOffsets = new Int32Array(group.length + 1);
  group.forEach((w, i) => (tokenOffsets[i + 1] = tokenOffsets[i] + w.tokens.length));
  const tokens = new Int32Array(tokenOffsets[group.length]);
  group.forEach((w, i) => tokens.set(w.tokens, tokenOffsets[i]));
  return contextsBatch(schema, {
    ctx: Uint32Array.from(group, (w) => w.ctx),
    doc: Uint32Array.from(group, (w) => w.doc),
    offset: Uint32Array.from(group, (w) => w.offset),
    tokens,
    tokenOffsets,
  });
}
