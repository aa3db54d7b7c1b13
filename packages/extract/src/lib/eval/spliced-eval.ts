/**
 * How much of GPT-2's next-token behaviour survives an SAE: the SAE's reconstruction x̂ of the
 * residual x at one hook is spliced into the forward pass and the loss measured downstream
 * (Gao et al. 2024 §4.1's downstream loss; SAELens' CE loss score; sparsify's KL when spliced).
 *
 *   clean        logits = suffix(x)                  x = prefix(ids) at the hook, [B,S,D]
 *   spliced      logits = suffix(x with x̂ at every evaluated position)
 *   zero-ablated logits = suffix(x with 0 there)
 *   mean-ablated logits = suffix(x with x̄ there)      x̄ = mean of x over the evaluated positions, per dimension
 *
 * Evaluated positions are a window's positions but BOS's: the BOS activation stays clean (as in
 * training, where its rows are left out) and its prediction is not scored. `create` runs the
 * prefix once, keeps x (B·S·D floats), and scores both ablations, which no SAE changes; each
 * `evaluate` then costs two suffix passes (clean, for the KL, and spliced) per batch of windows.
 * Windows shorter than the longest in a batch are padded at the end, which changes nothing
 * before the padding (attention is causal); padded positions are never read.
 */
import { Sae, SaeModel } from '@saestream/sae-core';
import { Window } from '../corpus';
import { ExtractError } from '../errors';
import { Gpt2Model, Gpt2RunnerOptions, SplitGpt2Runner } from '../graph';
import { EvalTally, PositionBucket, positionBuckets, SpliceMeasures } from './eval-tally';
import { crossEntropy, klDivergence } from './next-token';

/** What a splice puts in place of the activations of some positions. */
export interface Reconstruction {
  /** `[rows, D]` */
  recons: Float32Array;
  /** The latents active in each row, CSR: row r's ids are `indices[offsets[r] … offsets[r+1])`; absent for a splice without latents. */
  active?: { offsets: Int32Array; indices: Int32Array };
}

/** A reconstruction of `[rows, D]` activations: an SAE's, or anything to compare with one. */
export type Splice = (x: Float32Array, rows: number) => Reconstruction;

export interface SplicedEvalReport {
  hook: string;
  /** Windows evaluated, and their tokens (BOS included). */
  contexts: number;
  windowTokens: number;
  /** The first evaluated position of a window (1 with BOS). */
  firstPosition: number;
  /** The SAE's latents (null for a splice without latents: L0 and dead fraction are NaN). */
  nLatents: number | null;
  total: SpliceMeasures;
  buckets: (PositionBucket & SpliceMeasures)[];
}

export interface SplicedEvalOptions extends Gpt2RunnerOptions {
  /** The residual-stream hook to splice at. */
  hook: string;
  /** Whether windows start with BOS (then position 0 is neither spliced nor scored). */
  prependBos: boolean;
  /** The windows' full length; position buckets run up to it (default: the longest window). */
  contextSize?: number;
  /** Windows per forward pass. Default 8. */
  batchContexts?: number;
}

/** One forward pass's windows and what stays fixed across evaluations. */
interface Batch {
  windows: Window[];
  seq: number;
  resid: Float32Array; // [B,S,D] clean, at the hook
  zeroLoss: Float64Array; // [B,S] CE at each scored position, zero-ablated (NaN elsewhere)
  meanLoss: Float64Array; // [B,S] mean-ablated
}

export class SplicedEval {
  private constructor(
    private readonly runner: SplitGpt2Runner,
    private readonly batches: Batch[],
    private readonly first: number,
    private readonly buckets: PositionBucket[],
    private readonly vocab: number,
    /** `[D]` x̄, the mean activation over the evaluated positions. */
    readonly mean: Float32Array,
  ) {}

  get hook(): string {
    return this.runner.hook;
  }

  /** The residual's width at the hook: an SAE's d_in must equal it. */
  get width(): number {
    return this.runner.width;
  }

  /**
   * Runs the model to the hook on every window and scores the two ablations.
   * @throws ExtractError 'BAD_ARGUMENT' (no windows, one too long or with nothing to score), the runner's errors
   */
  static async create(model: Gpt2Model, windows: Window[], opts: SplicedEvalOptions): Promise<SplicedEval> {
    const first = opts.prependBos ? 1 : 0;
    if (windows.length === 0) throw new ExtractError('BAD_ARGUMENT', `'windows' must hold at least one context window but is empty`);
    const contextSize = opts.contextSize ?? Math.max(...windows.map((w) => w.tokens.length));
    const bad = windows.find((w) => w.tokens.length < first + 2 || w.tokens.length > contextSize);
    if (bad) {
      const why = `a position to splice and its next token${first ? ', after BOS' : ''}`;
      throw new ExtractError('BAD_ARGUMENT', `every window must hold ${first + 2}…${contextSize} tokens (${why}) but ctx ${bad.ctx} has ${bad.tokens.length}`);
    }
    const size = opts.batchContexts ?? 8;
    const runner = await SplitGpt2Runner.create(model, opts.hook, { intraOpThreads: opts.intraOpThreads, output: 'log_probs' });
    try {
      const D = runner.width;
      const batches: Batch[] = [];
      const sum = new Float64Array(D);
      let positions = 0;
      for (let i = 0; i < windows.length; i += size) {
        const group = windows.slice(i, i + size);
        const seq = Math.max(...group.map((w) => w.tokens.length));
        const ids = new Int32Array(group.length * seq);
        group.forEach((w, b) => ids.set(w.tokens, b * seq));
        const resid = (await runner.runToHook(ids, group.length, seq)).data;
        forEachPosition(group, seq, first, (at) => {
          for (let t = 0; t < D; t++) sum[t] += resid[at * D + t];
          positions++;
        });
        batches.push({ windows: group, seq, resid, zeroLoss: new Float64Array(0), meanLoss: new Float64Array(0) });
      }
      const mean = Float32Array.from(sum, (s) => s / positions);
      const vocab = model.config.vocabSize;
      for (const b of batches) {
        b.zeroLoss = await ablatedLosses(runner, b, first, vocab, new Float32Array(D));
        b.meanLoss = await ablatedLosses(runner, b, first, vocab, mean);
      }
      return new SplicedEval(runner, batches, first, positionBuckets(contextSize, first), vocab, mean);
    } catch (e) {
      await runner.release();
      throw e;
    }
  }

  /**
   * Splices `sae`'s reconstruction in.
   * @throws ExtractError 'BAD_ARGUMENT' when the SAE's d_in is not the model's width at the hook
   */
  async evaluate(sae: Sae): Promise<SplicedEvalReport> {
    if (sae.spec.dIn !== this.width) {
      const from = sae.meta.hookName ? ` (trained on ${sae.meta.modelName ?? '?'} ${sae.meta.hookName})` : '';
      throw new ExtractError('BAD_ARGUMENT', `the SAE's d_in is ${sae.spec.dIn}${from} but the model is ${this.width} wide at ${this.hook}`);
    }
    const model = new SaeModel(sae);
    try {
      return await this.evaluateSplice(saeSplice(model), sae.spec.nLatents);
    } finally {
      model.dispose();
    }
  }

  /** Splices whatever `splice` returns in (an identity, zeros, …); `nLatents` sizes the dead-latent count. */
  async evaluateSplice(splice: Splice, nLatents: number | null): Promise<SplicedEvalReport> {
    const D = this.width;
    const V = this.vocab;
    const tally = new EvalTally(this.buckets, D, nLatents);
    for (const b of this.batches) {
      const at: number[] = []; // [rows] → b·S + p
      forEachPosition(b.windows, b.seq, this.first, (i) => at.push(i));
      const x = new Float32Array(at.length * D); // [rows, D]
      at.forEach((i, r) => x.set(b.resid.subarray(i * D, (i + 1) * D), r * D));
      const { recons, active } = splice(x, at.length);
      if (!(recons instanceof Float32Array) || recons.length !== x.length) throw new ExtractError('BAD_ARGUMENT', `a splice must return ${at.length} × ${D} floats but returned ${recons?.length}`);
      const spliced = b.resid.slice();
      at.forEach((i, r) => {
        const row = recons.subarray(r * D, (r + 1) * D);
        spliced.set(row, i * D);
        const ids = active ? active.indices.subarray(active.offsets[r], active.offsets[r + 1]) : [];
        tally.addActivation(i % b.seq, x.subarray(r * D, (r + 1) * D), row, ids);
      });
      const B = b.windows.length;
      const clean = (await this.runner.runFromHook(b.resid, B, b.seq)).data; // [B,S,V] log-probabilities
      const out = (await this.runner.runFromHook(spliced, B, b.seq)).data;
      forEachPrediction(b, this.first, (i, target) => {
        const [c, s] = [crossEntropy(clean, i * V, target), crossEntropy(out, i * V, target)];
        tally.addPrediction(i % b.seq, { clean: c, spliced: s, zero: b.zeroLoss[i], mean: b.meanLoss[i], kl: klDivergence(clean, out, i * V, V) });
      });
    }
    const windowTokens = this.batches.reduce((n, b) => n + b.windows.reduce((m, w) => m + w.tokens.length, 0), 0);
    const contexts = this.batches.reduce((n, b) => n + b.windows.length, 0);
    return { hook: this.hook, contexts, windowTokens, firstPosition: this.first, nLatents, ...tally.measures() };
  }

  /** Frees the onnxruntime sessions. */
  async release(): Promise<void> {
    await this.runner.release();
  }
}

/** An SAE's forward pass as a splice: its reconstruction (LN undone) and each row's non-zero latents. */
export function saeSplice(model: SaeModel): Splice {
  const { nLatents: n, k } = model.sae.spec;
  return (x, rows) => {
    const { recons, latents, topIndices, topValues } = model.forward(x, rows);
    const offsets = new Int32Array(rows + 1);
    const indices: number[] = [];
    for (let r = 0; r < rows; r++) {
      if (topIndices && topValues) {
        for (let s = r * k; s < (r + 1) * k; s++) if (topValues[s] > 0) indices.push(topIndices[s]);
      } else {
        for (let j = 0; j < n; j++) if (latents[r * n + j] > 0) indices.push(j);
      }
      offsets[r + 1] = indices.length;
    }
    return { recons, active: { offsets, indices: Int32Array.from(indices) } };
  };
}

/** Calls `f(b·S + p)` for every evaluated position p of every window b. */
function forEachPosition(windows: Window[], seq: number, first: number, f: (at: number) => void): void {
  windows.forEach((w, b) => {
    for (let p = first; p < w.tokens.length; p++) f(b * seq + p);
  });
}

/** Calls `f(b·S + p, token p + 1)` for every scored position: evaluated and followed by a token. */
function forEachPrediction(batch: Batch, first: number, f: (at: number, target: number) => void): void {
  batch.windows.forEach((w, b) => {
    for (let p = first; p + 1 < w.tokens.length; p++) f(b * batch.seq + p, w.tokens[p + 1]);
  });
}

/** CE at each scored position with every evaluated position's activation replaced by `value` `[D]`. */
async function ablatedLosses(runner: SplitGpt2Runner, b: Batch, first: number, vocab: number, value: Float32Array): Promise<Float64Array> {
  const D = value.length;
  const resid = b.resid.slice();
  forEachPosition(b.windows, b.seq, first, (i) => resid.set(value, i * D));
  const logProbs = (await runner.runFromHook(resid, b.windows.length, b.seq)).data; // [B,S,V]
  const loss = new Float64Array(b.windows.length * b.seq).fill(NaN);
  forEachPrediction(b, first, (i, target) => (loss[i] = crossEntropy(logProbs, i * vocab, target)));
  return loss;
}
