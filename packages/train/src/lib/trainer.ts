/**
 * The training loop: rows in, checkpoints out.
 *
 *   stream (seeded shuffle) ─▶ first evalRows rows: held out ─▶ next initRows: init sample
 *        ─▶ batches of `batch` rows ─▶ SparseTrainer step ─▶ metrics.jsonl, progress
 *        every checkpointEveryTokens (and at the end, or on abort): checkpoint
 *        every evaluate.everyTokens (and at the end): options.evaluate.run → a `spliced-eval` line
 *
 * Resume replays the same stream and skips the rows already trained on, so a resumed run sees
 * exactly the batches an uninterrupted one would, from exactly the same state.
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { initSae, layerNorm, mseScaleOf, Sae, SaeError, SaeModel, saveSae, SparseTrainer, StepMetrics, fvu, nmse } from '@saestream/sae-core';
import { kAuxFor, lrAt, TrainConfig, validateTrainConfig } from './config';
import { readLatestCheckpoint, writeCheckpoint } from './checkpoint';
import { RowReader, TrainData } from './data-source';
import { TrainError } from './errors';
import { METRICS_FILE, MetricsLog, readRunRecord, recordDifferences, writeRunRecord } from './run-files';

export interface TrainProgress {
  phase: 'init' | 'train' | 'eval' | 'spliced-eval' | 'checkpoint' | 'done';
  step: number;
  tokens: number;
  /** Tokens the run will train on, when known. */
  totalTokens: number | null;
  tokensPerSec: number;
  last: StepMetrics | null;
}

export interface TrainOptions {
  /** Continue the run in `outDir` from its latest checkpoint. */
  resume?: boolean;
  /** Start from this autoencoder instead of a fresh init (its d_in must match the data). */
  init?: Sae;
  /** When aborted, the run checkpoints after the current step and returns. */
  signal?: AbortSignal;
  onProgress?(p: TrainProgress): void;
  /** An evaluation run on the exported weights every `everyTokens` training tokens and at the end (e.g. extract's spliced eval). */
  evaluate?: PeriodicEval;
}

/**
 * A caller's evaluation of the autoencoder during training. It runs when the training token
 * count reaches a multiple of `everyTokens` (after that step, before any checkpoint of the same
 * step, so a resume keeps exactly the lines its checkpoint had seen) and after the last step;
 * each result becomes a metrics.jsonl line `{ kind: 'spliced-eval', step, tokens, ...result }`.
 */
export interface PeriodicEval {
  everyTokens: number;
  /** Scores the weights as they would be exported (the EMA when kept); keys other than kind, step, tokens. */
  run(sae: Sae): Promise<Record<string, number>>;
}

export interface EvalMetrics {
  rows: number;
  mse: number;
  fvu: number;
  nmse: number;
  l0: number;
}

export interface TrainResult {
  outDir: string;
  steps: number;
  tokens: number;
  /** false when stopped by the signal before the end */
  finished: boolean;
  resumedFromStep: number | null;
  last: StepMetrics | null;
  eval: EvalMetrics | null;
  /** The last `options.evaluate` result of this run (null when none ran). */
  splicedEval: Record<string, number> | null;
  checkpoint: string;
}

export async function trainSae(configIn: Partial<TrainConfig>, data: TrainData, outDir: string, options: TrainOptions = {}): Promise<TrainResult> {
  const config = validateTrainConfig(configIn);
  const periodic = options.evaluate;
  if (periodic && !(Number.isSafeInteger(periodic.everyTokens) && periodic.everyTokens > 0)) {
    throw new TrainError('BAD_ARGUMENT', `'evaluate.everyTokens' must be a positive integer but got ${periodic.everyTokens}`);
  }
  if (options.init && options.init.spec.dIn !== data.dModel) {
    throw new TrainError('SHAPE_MISMATCH', `the initial SAE has d_in ${options.init.spec.dIn} but the shards' d_model is ${data.dModel} (model ${data.meta.modelName ?? '?'}, hook ${data.meta.hookName ?? '?'})`);
  }
  await mkdir(outDir, { recursive: true });
  const record = await readRunRecord(outDir);
  const metrics = new MetricsLog(path.join(outDir, METRICS_FILE));
  if (record && !options.resume) throw new TrainError('RUN_EXISTS', `${outDir} already holds a training run; pass --resume to continue it, or choose another --out`);
  await assertSameRun(outDir, config, data);
  const checkpoint = options.resume ? await readLatestCheckpoint(outDir) : undefined;
  await writeRunRecord(outDir, config, data.identity, data.location);
  const lastSteps = await metrics.truncateAfter(checkpoint?.state.step ?? 0);
  let lastEvalStep = lastSteps['eval'] ?? -1;
  let lastSplicedStep = lastSteps['spliced-eval'] ?? -1;

  const reader = new RowReader(data.open(), data.dModel);
  const d = data.dModel;
  const heldOut = await reader.take(config.evalRows);
  const heldOutRows = heldOut.length / d;
  let tokens = checkpoint?.state.tokens ?? 0;
  await reader.skip(tokens); // what the checkpoint already trained on

  let trainer: SparseTrainer;
  const pending: Float32Array[] = [];
  const progress = (p: Omit<TrainProgress, 'totalTokens'>): void => options.onProgress?.({ ...p, totalTokens: totalTokens(config, data) });
  progress({ phase: 'init', step: 0, tokens, tokensPerSec: 0, last: null });
  if (checkpoint) {
    trainer = newTrainer(checkpoint.sae, config, checkpoint.state.mseScale, d);
    trainer.restoreState(checkpoint.arrays, checkpoint.state.step);
  } else {
    // the init sample is the first training batches, kept to be trained on first
    for (let have = 0; have < config.initRows; ) {
      const x = await reader.take(config.batch);
      if (x.length === 0) break;
      pending.push(x);
      have += x.length / d;
    }
    const sample = concat(pending, d);
    if (sample.rows === 0) throw new TrainError('NO_DATA', `no training rows left after the ${heldOutRows} held-out rows (the data has ${data.rows ?? '?'} rows)`);
    const bad = sample.x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new TrainError('NON_FINITE', `the init sample (the first ${sample.rows} training rows) holds ${sample.x[bad]} at row ${Math.floor(bad / d)}, element ${bad % d}; the activations are corrupt (check them with 'saestream shards inspect')`);
    const spec = { dIn: d, nLatents: config.latents, k: config.k, activation: 'topk' as const, normalize: config.normalize };
    const sae = options.init ?? initSae(spec, sample.x, sample.rows, config.seed, data.meta);
    trainer = newTrainer(sae, config, mseScaleOf(workingSpace(sae, sample.x, sample.rows), sample.rows, d), d);
  }
  const saeOf = (params = trainer.params): Sae => ({ spec: trainer.sae.spec, meta: { ...data.meta, ...trainer.sae.meta }, params: copyParams(params) });
  let lastCheckpoint = checkpoint?.dir ?? null;
  const save = async (): Promise<string> => {
    progress({ phase: 'checkpoint', step: trainer.step, tokens, tokensPerSec: 0, last });
    lastCheckpoint = await writeCheckpoint(outDir, saeOf(), { step: trainer.step, tokens, mseScale: trainer.config.mseScale }, trainer.stateArrays());
    return lastCheckpoint;
  };
  const evaluate = async (): Promise<EvalMetrics | null> => {
    if (heldOutRows === 0) return null;
    progress({ phase: 'eval', step: trainer.step, tokens, tokensPerSec: 0, last });
    const result = evaluateOn(saeOf(trainer.emaParams), heldOut, heldOutRows);
    await metrics.append({ kind: 'eval', step: trainer.step, tokens, ...result });
    lastEvalStep = trainer.step;
    return result;
  };
  let lastSpliced: Record<string, number> | null = null;
  const splicedEval = async (run: PeriodicEval['run']): Promise<void> => {
    progress({ phase: 'spliced-eval', step: trainer.step, tokens, tokensPerSec: 0, last });
    const result = await run(saeOf(trainer.emaParams));
    const reserved = ['kind', 'step', 'tokens'].filter((key) => key in result);
    if (reserved.length) throw new TrainError('BAD_ARGUMENT', `an evaluate result may not hold [${reserved.join(', ')}]: the metrics line sets them`);
    await metrics.append({ kind: 'spliced-eval', step: trainer.step, tokens, ...result });
    lastSplicedStep = trainer.step;
    lastSpliced = result;
  };

  let last: StepMetrics | null = null;
  let lastEval: EvalMetrics | null = null;
  let nextCheckpoint = (Math.floor(tokens / config.checkpointEveryTokens) + 1) * config.checkpointEveryTokens;
  const started = Date.now();
  const startTokens = tokens;
  let finished = true;
  try {
    for (;;) {
      if (config.maxTokens !== null && tokens >= config.maxTokens) break;
      const want = config.maxTokens === null ? config.batch : Math.min(config.batch, config.maxTokens - tokens);
      const x = pending.length ? (pending.shift() as Float32Array) : await reader.take(want);
      if (x.length === 0) break;
      if (options.signal?.aborted) {
        finished = false;
        break;
      }
      const n = x.length / d;
      const lr = lrAt(config, trainer.step + 1);
      try {
        last = trainer.trainStep(x, lr, n);
      } catch (e) {
        if (e instanceof SaeError && e.code === 'NON_FINITE') {
          throw new TrainError('NON_FINITE', `${e.message} (tokens ${tokens}–${tokens + n}); the last good checkpoint is ${lastCheckpoint ?? 'none (no checkpoint was written yet)'}, left untouched`, { cause: e });
        }
        throw e;
      }
      tokens += n;
      const tokensPerSec = (tokens - startTokens) / ((Date.now() - started) / 1000);
      const scalars = withoutDetail(last as StepMetrics & { detail?: unknown });
      last = scalars;
      await metrics.append({ kind: 'train', step: trainer.step, tokens, ...scalars, deadFraction: scalars.dead / config.latents, lr, tokensPerSec });
      progress({ phase: 'train', step: trainer.step, tokens, tokensPerSec, last });
      if (config.evalEvery > 0 && trainer.step % config.evalEvery === 0) lastEval = await evaluate();
      if (periodic && Math.floor(tokens / periodic.everyTokens) > Math.floor((tokens - n) / periodic.everyTokens)) await splicedEval(periodic.run);
      if (tokens >= nextCheckpoint) {
        await save();
        nextCheckpoint += config.checkpointEveryTokens;
      }
    }
    if (finished && lastEvalStep !== trainer.step) lastEval = await evaluate();
    if (finished && periodic && lastSplicedStep !== trainer.step) await splicedEval(periodic.run);
    const final = lastCheckpoint?.endsWith(`step-${String(trainer.step).padStart(7, '0')}`) ? lastCheckpoint : await save();
    if (finished) await saveSae(outDir, saeOf(trainer.emaParams));
    progress({ phase: 'done', step: trainer.step, tokens, tokensPerSec: 0, last });
    return { outDir, steps: trainer.step, tokens, finished, resumedFromStep: checkpoint?.state.step ?? null, last, eval: lastEval, splicedEval: lastSpliced, checkpoint: final };
  } finally {
    trainer.dispose();
    await reader.close();
  }
}

/**
 * Throws TrainError('CONFIG_CHANGED'), naming each differing field, when `outDir` holds a run
 * made with another config or other data; does nothing when it holds none.
 */
export async function assertSameRun(outDir: string, configIn: Partial<TrainConfig>, data: TrainData): Promise<void> {
  const record = await readRunRecord(outDir);
  if (!record) return;
  const diff = recordDifferences(record, validateTrainConfig(configIn), data.identity);
  if (diff.length) throw new TrainError('CONFIG_CHANGED', `cannot resume ${outDir}: its run was made with a different config or data (${diff.join('; ')})`);
}

/** The sample as the autoencoder sees it: after LN when it normalises. */
const workingSpace = (sae: Sae, x: Float32Array, rows: number): Float32Array => (sae.spec.normalize ? layerNorm(x, rows, sae.spec.dIn).normalized : x);

/** The step's scalars, without its selections (which are large and belong to the step). */
function withoutDetail(m: StepMetrics & { detail?: unknown }): StepMetrics {
  const copy = { ...m };
  delete copy.detail;
  return copy;
}

function newTrainer(sae: Sae, c: TrainConfig, mseScale: number, dModel: number): SparseTrainer {
  return new SparseTrainer(sae, { maxRows: c.batch, kAux: kAuxFor(c, dModel), auxkCoef: c.auxkCoef, deadTokens: c.deadTokens, mseScale, clipGradNorm: c.clipGradNorm, emaDecay: c.emaDecay });
}

/** nmse, fvu, mse and L0 in the autoencoder's working space (after LN when it normalises). */
export function evaluateOn(sae: Sae, x: Float32Array, rows: number): EvalMetrics {
  const model = new SaeModel(sae);
  try {
    const enc = model.encode(x, rows);
    const recons = model.decode(enc.latents, rows, null);
    const d = sae.spec.dIn;
    let active = 0;
    for (const z of enc.latents) if (z !== 0) active++;
    let ss = 0;
    for (let i = 0; i < recons.length; i++) ss += (recons[i] - enc.input[i]) ** 2;
    return { rows, mse: ss / recons.length, fvu: fvu(recons, enc.input, rows, d), nmse: nmse(recons, enc.input, rows, d), l0: active / rows };
  } finally {
    model.dispose();
  }
}

const totalTokens = (c: TrainConfig, data: TrainData): number | null => {
  const available = data.rows === null ? null : Math.max(0, data.rows - c.evalRows);
  return c.maxTokens === null ? available : available === null ? c.maxTokens : Math.min(c.maxTokens, available);
};

const copyParams = (p: Sae['params']): Sae['params'] => ({ preBias: p.preBias.slice(), latentBias: p.latentBias.slice(), encoder: p.encoder.slice(), decoder: p.decoder.slice() });

function concat(chunks: Float32Array[], d: number, limit = Infinity): { x: Float32Array; rows: number } {
  const rows = Math.min(limit, chunks.reduce((s, c) => s + c.length / d, 0));
  const x = new Float32Array(rows * d);
  let at = 0;
  for (const c of chunks) {
    const take = Math.min(c.length, x.length - at);
    x.set(c.subarray(0, take), at);
    at += take;
  }
  return { x, rows };
}
