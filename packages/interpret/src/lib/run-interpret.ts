/**
 * `interpret` end to end: check that SAE and activations belong together, one pass through the
 * encoder, logit effects, the join to the contexts' text, then tables, viewer and manifest
 * (interpret.json last, so its presence means the output is whole).
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { RecordBatch } from 'apache-arrow';
import { writeFileAtomic } from '@saestream/io';
import { Sae, SaeModel } from '@saestream/sae-core';
import { InterpretConfig, validateInterpretConfig } from './config';
import { readContexts } from './contexts-join';
import { InterpretError } from './errors';
import { interpretPass, PassProgress } from './interpret-pass';
import { parseLatentSelection } from './latent-selection';
import { logitEffects } from './logit-effects';
import { writeTables, writeViewer } from './outputs';
import { LatentRecord, latentRecords, wantedContexts } from './report';
import { TokenText } from './token-text';

export interface InterpretInputs {
  sae: Sae;
  /** activations/1 batches in written order (contexts' rows together) */
  activations: () => AsyncIterable<RecordBatch>;
  /** the activations' model, hook and width (their manifest metadata) */
  activationsMeta: { model?: string; hook?: string; dModel: number };
  /** contexts/1 batches of the same extraction; null when there are none */
  contexts: (() => AsyncIterable<RecordBatch>) | null;
  /** id → GPT-2 vocab string (tokenizer.json); null shows token ids */
  vocab: string[] | null;
  /** the model's wte `[vocab, d]`, for logit effects; null to skip them */
  wte: { data: Float32Array; vocab: number } | null;
  /** shown on every viewer page, e.g. that the model is untrained */
  banner?: string | null;
  /** the SAE spliced into the model (saestream eval), shown in the viewer's header */
  headerEval?: HeaderEval | null;
}

export interface HeaderEval {
  deltaLoss: number;
  ceRecoveredZero: number;
  ceRecoveredMean: number;
  kl: number;
}

export interface InterpretOptions {
  /** all | N | A-B | A,B,C */
  latents?: string;
  config?: Partial<InterpretConfig>;
  /** recorded in interpret.json: what the SAE came from (a pipeline compares it to skip reruns) */
  source?: string;
  onProgress?(p: PassProgress & { phase: 'encode' | 'logits' | 'join' | 'write' }): void;
}

export interface InterpretSummary {
  outDir: string;
  tokens: number;
  latents: number;
  /** latents of the selection that never fired */
  silent: number;
  viewer: string;
  records: LatentRecord[];
}

/** Refuses an SAE and activations of different widths, models or hooks, naming both. */
export function checkPairing(sae: Sae, meta: InterpretInputs['activationsMeta']): void {
  const both = `the SAE (d_in ${sae.spec.dIn}, model ${sae.meta.modelName ?? '?'}, hook ${sae.meta.hookName ?? '?'}) and the activations (d_model ${meta.dModel}, model ${meta.model ?? '?'}, hook ${meta.hook ?? '?'})`;
  if (sae.spec.dIn !== meta.dModel) throw new InterpretError('MISMATCH', `${both} differ in width`);
  if (sae.meta.hookName && meta.hook && sae.meta.hookName !== meta.hook) throw new InterpretError('MISMATCH', `${both} come from different hooks`);
  if (sae.meta.modelName && meta.model && sae.meta.modelName !== meta.model) throw new InterpretError('MISMATCH', `${both} come from different models`);
}

export async function runInterpret(inputs: InterpretInputs, outDir: string, options: InterpretOptions = {}): Promise<InterpretSummary> {
  const config = validateInterpretConfig(options.config ?? {});
  const { sae } = inputs;
  checkPairing(sae, inputs.activationsMeta);
  if (!inputs.contexts) throw new InterpretError('NO_DATA', 'no contexts/ shards beside the activations: interpret joins examples back to their text through them (run extract, which writes both)');
  const latents = parseLatentSelection(options.latents ?? 'all', sae.spec.nLatents);
  await mkdir(outDir, { recursive: true });

  const model = new SaeModel(sae);
  let stats;
  try {
    stats = await interpretPass(model, inputs.activations(), latents, config, (p) => options.onProgress?.({ ...p, phase: 'encode' }));
  } finally {
    model.dispose();
  }
  const progress = (phase: 'logits' | 'join' | 'write'): void => options.onProgress?.({ tokens: stats.tokens, contexts: 0, phase });
  progress('logits');
  const logits = inputs.wte ? logitEffects(sae.params.decoder, sae.spec.dIn, latents, inputs.wte.data, inputs.wte.vocab, config.topLogits) : null;
  progress('join');
  const contexts = await readContexts(inputs.contexts(), wantedContexts(stats));
  const records = latentRecords(stats, contexts, inputs.vocab ? new TokenText(inputs.vocab) : null, logits);

  progress('write');
  await writeTables(outDir, records);
  const viewer = await writeViewer(
    outDir,
    {
      model: inputs.activationsMeta.model ?? sae.meta.modelName ?? null,
      hook: inputs.activationsMeta.hook ?? sae.meta.hookName ?? null,
      dIn: sae.spec.dIn,
      nLatents: sae.spec.nLatents,
      k: sae.spec.k,
      tokens: stats.tokens,
      latentsShown: latents.length,
      topN: config.topN,
      banner: inputs.banner ?? null,
      eval: inputs.headerEval ?? null,
      logitsFoldLnF: false,
      createdAt: new Date().toISOString(),
    },
    records,
  );
  const silent = records.filter((r) => r.count === 0).length;
  await writeFileAtomic(
    path.join(outDir, 'interpret.json'),
    JSON.stringify({ format: 'saestream.interpret/1', source: options.source, sae: { ...sae.spec, ...sae.meta }, activations: inputs.activationsMeta, tokens: stats.tokens, latents: latents.length, silent, config, logits: Boolean(logits), files: ['latents.parquet', 'examples.parquet', 'viewer/index.html'] }, null, 2) + '\n',
  );
  return { outDir, tokens: stats.tokens, latents: latents.length, silent, viewer, records };
}
