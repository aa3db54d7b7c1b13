/**
 * The pipeline's three stages over one run folder, each skipped when its output is complete
 * for the same inputs and resumed when it is not:
 *
 *   OUT/extract/     saestream extract   (resumes from its complete shards; refuses other settings)
 *   OUT/train/       saestream train     (resumes from its latest checkpoint; refuses other data)
 *   OUT/eval.json    saestream eval      (the SAE spliced into the model on held-out text; redone when the SAE changed)
 *   OUT/interpret/   saestream interpret (redone whenever the SAE it describes changed)
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { openSplicedEval, runExtraction, RunManifest, SpliceMeasures } from '@saestream/extract';
import { writeFileAtomic } from '@saestream/io';
import { runInterpret, InterpretSummary } from '@saestream/interpret';
import { loadSae } from '@saestream/sae-core';
import { assertSameRun, readRunRecord, shardData, trainSae, TrainConfig, TrainResult, TrainProgress } from '@saestream/train';
import { interpretInputsFromRun } from '../interpret-inputs';
import { PipelineSettings } from './pipeline-config';

export const stageDirs = (out: string) => ({ extract: path.join(out, 'extract'), train: path.join(out, 'train'), interpret: path.join(out, 'interpret') });

export async function extractStage(s: PipelineSettings, out: string, onProgress: (done: number, total: number, rate: number) => void): Promise<RunManifest> {
  return runExtraction({ model: s.model, hooks: [s.hook], corpus: s.corpus, contextSize: s.contextSize, maxTokens: s.tokens }, stageDirs(out).extract, {
    onProgress: (p) => onProgress(p.tokens, p.totalTokens, p.tokensPerSecond),
  });
}

/** The trainer's settings for a pipeline run: OpenAI's defaults with the dead threshold and checkpoints scaled to the run. */
export function trainConfig(s: PipelineSettings): Partial<TrainConfig> {
  return {
    latents: s.latents,
    k: s.k,
    batch: s.batch,
    seed: s.seed,
    deadTokens: Math.min(10_000_000, Math.max(s.batch, Math.round(s.tokens / 10))),
    checkpointEveryTokens: Math.max(s.batch, Math.round(s.tokens / 10)),
    evalEvery: 10,
  };
}

/** Trains, resuming a partial run; `null` when the run was already finished (nothing to do). */
export async function trainStage(s: PipelineSettings, out: string, signal: AbortSignal, onProgress: (p: TrainProgress) => void): Promise<TrainResult | null> {
  const dirs = stageDirs(out);
  const data = await shardData(dirs.extract, { hook: s.hook, seed: s.seed, bufferRows: 65536, batch: s.batch });
  const record = await readRunRecord(dirs.train);
  const finished = record !== undefined && (await readFile(path.join(dirs.train, 'cfg.json')).then(() => true, () => false));
  if (finished) {
    await assertSameRun(dirs.train, trainConfig(s), data); // skipped only if made from these data with this config
    return null;
  }
  return trainSae(trainConfig(s), data, dirs.train, { resume: record !== undefined, signal, onProgress });
}

/** Tokens of held-out text the pipeline's spliced evaluation reads (after the training text). */
export const EVAL_TOKENS = 2048;

/**
 * Splices the trained SAE into the model on the corpus text right after the training tokens:
 * Δ loss, CE loss recovered, KL (saestream eval's measures). Skipped when OUT/eval.json
 * describes the same SAE checkpoint.
 */
export async function evalStage(s: PipelineSettings, out: string): Promise<{ total: SpliceMeasures; skipped: boolean }> {
  const dirs = stageDirs(out);
  const file = path.join(out, 'eval.json');
  const source = await readFile(path.join(dirs.train, 'checkpoint.json'), 'utf8');
  const before = await readFile(file, 'utf8').then((t) => JSON.parse(t) as { source?: string; report: { total: SpliceMeasures } }, () => undefined);
  if (before?.source === source) return { total: before.report.total, skipped: true };
  const { sae } = await loadSae(dirs.train);
  const config = { model: s.model, hook: s.hook, corpus: s.corpus, tokens: EVAL_TOKENS, skipTokens: s.tokens, contextSize: s.contextSize, prependBos: true };
  const { evaluator, corpusId } = await openSplicedEval(config, { dIn: sae.spec.dIn });
  try {
    const report = await evaluator.evaluate(sae);
    await writeFileAtomic(file, JSON.stringify({ format: 'saestream.eval/1', source, sae: dirs.train, ...config, corpusId, report }, null, 1) + '\n');
    return { total: report.total, skipped: false };
  } finally {
    await evaluator.release();
  }
}

/** Interprets the trained SAE; skipped when OUT/interpret describes the same SAE checkpoint. */
export async function interpretStage(out: string, evalTotals: SpliceMeasures | null, onProgress: (tokens: number) => void): Promise<{ summary: InterpretSummary | null; viewer: string; notes: string[] }> {
  const dirs = stageDirs(out);
  const source = await readFile(path.join(dirs.train, 'checkpoint.json'), 'utf8');
  const viewer = path.join(dirs.interpret, 'viewer', 'index.html');
  const done = await readFile(path.join(dirs.interpret, 'interpret.json'), 'utf8').then(
    (t) => (JSON.parse(t) as { source?: string }).source === source,
    () => false,
  );
  if (done) return { summary: null, viewer, notes: [] };
  const { sae } = await loadSae(dirs.train);
  const { inputs, notes } = await interpretInputsFromRun(dirs.extract, sae);
  if (evalTotals) inputs.headerEval = { deltaLoss: evalTotals.deltaLoss, ceRecoveredZero: evalTotals.ceRecoveredZero, ceRecoveredMean: evalTotals.ceRecoveredMean, kl: evalTotals.kl };
  const summary = await runInterpret(inputs, dirs.interpret, { onProgress: (p) => p.phase === 'encode' && onProgress(p.tokens), source });
  return { summary, viewer, notes };
}
