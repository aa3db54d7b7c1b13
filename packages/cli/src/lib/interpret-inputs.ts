/**
 * What `interpret` needs from an extraction run, assembled once for `saestream interpret` and
 * for the pipeline: the activations of a hook and the contexts (as replayable streams), and the
 * model's vocab and wte for token text and logit effects (or ids and none, with a note, where
 * the model cannot be loaded).
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadModelDir, readRunManifest, resolveModel, RunManifest } from '@saestream/extract';
import { InterpretInputs, vocabFromTokenizerJson } from '@saestream/interpret';
import { readManifest, readShards, toFloat32 } from '@saestream/io';
import { Sae } from '@saestream/sae-core';
import { CliError } from './errors';

export const TINY_BANNER =
  'tiny-random is an untrained, randomly initialised GPT-2: these latents describe random weights, not language. For real latents use GPT-2 small: --model gpt2 (downloaded once into the Hugging Face cache) or --model DIR (a directory with config.json, model.safetensors, tokenizer.json).';

export const isTinyRandom = (model: string): boolean => /^tiny-random(:\d+)?$/.test(model);

/** The model's vocab and wte, or nulls and the reason when the model cannot be loaded here. */
async function loadUnembedding(model: string, wantLogits: boolean): Promise<{ vocab: string[] | null; wte: { data: Float32Array; vocab: number } | null; note?: string }> {
  try {
    const dir = await loadModelDir(await resolveModel(model));
    const vocab = vocabFromTokenizerJson(JSON.parse(await readFile(dir.tokenizerFile, 'utf8')));
    const wteTensor = dir.weights.get('wte.weight');
    const wte = wantLogits && wteTensor ? { data: toFloat32(wteTensor), vocab: wteTensor.shape[0] } : null;
    return { vocab, wte };
  } catch (e) {
    return { vocab: null, wte: null, note: `model '${model}' not loaded (${(e as Error).message.split('\n')[0]}): tokens shown as ids, no logit effects` };
  }
}

export interface RunInputs {
  inputs: InterpretInputs;
  manifest: RunManifest;
  hook: string;
  notes: string[];
}

/** Interpret's inputs from extraction run `runDir` for `sae` (its hook unless `hook` is given). */
export async function interpretInputsFromRun(runDir: string, sae: Sae, options: { hook?: string; model?: string; logits?: boolean } = {}): Promise<RunInputs> {
  const manifest = await readRunManifest(runDir);
  if (!manifest) throw new CliError('NOT_FOUND', `${runDir} is not a finished extraction run (no manifest.json of format saestream.extraction/1); run saestream extract first`);
  const hook = options.hook ?? (sae.meta.hookName && manifest.hooks.includes(sae.meta.hookName) ? sae.meta.hookName : manifest.hooks.length === 1 ? manifest.hooks[0] : undefined);
  if (!hook || !manifest.hooks.includes(hook)) throw new CliError('USAGE', `${hook ? `hook '${hook}' is not in ${runDir}` : `${runDir} holds several hooks`}; choose --hook from [${manifest.hooks.join(', ')}]`);
  const actDir = path.join(runDir, manifest.shards.activations[hook]);
  const ctxDir = path.join(runDir, manifest.shards.contexts);
  const md = (await readManifest(actDir))?.metadata ?? {};
  const hasContexts = Boolean(await readManifest(ctxDir).catch(() => undefined));
  const model = options.model ?? manifest.model;
  const unembedding = await loadUnembedding(model, options.logits ?? true);
  return {
    manifest,
    hook,
    notes: unembedding.note ? [unembedding.note] : [],
    inputs: {
      sae,
      activations: () => readShards(actDir),
      activationsMeta: { model: md.model, hook: md.hook, dModel: Number(md.d_model) },
      contexts: hasContexts ? () => readShards(ctxDir) : null,
      vocab: unembedding.vocab,
      wte: unembedding.wte,
      banner: isTinyRandom(model) ? TINY_BANNER : null,
    },
  };
}
