/**
 * The pipeline's settings, resolved once per run and recorded in OUT/pipeline.json: a rerun of
 * the same command resolves the same way and continues; a rerun that resolves differently
 * (another model, hook, corpus or size) is reported field by field and refused.
 *
 * Sizes follow the model: GPT-2 small at blocks.6.hook_resid_post with 300k tokens and 4096
 * latents fits the 15-minute budget on 2 cores (README: measured); the offline tiny-random
 * fallback uses its last layer, 200k tokens and 8 × d_model latents (well under 3 minutes).
 */
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { resolveModel } from '@saestream/extract';
import { writeFileAtomic } from '@saestream/io';
import { CliError } from '../errors';
import { isTinyRandom, TINY_BANNER } from '../interpret-inputs';

export const PIPELINE_FILE = 'pipeline.json';

/** What the user asked for (flags); null = the default for the model. */
export interface PipelineRequest {
  model: string; // 'auto' | 'gpt2' | 'tiny-random[:seed]' | hub id | DIR
  corpus: string;
  hook: string | null;
  tokens: number | null;
  latents: number | null;
  k: number;
  batch: number;
  seed: number;
}

export const defaultPipelineRequest: PipelineRequest = { model: 'auto', corpus: 'sotu', hook: null, tokens: null, latents: null, k: 32, batch: 4096, seed: 0 };

/** The settings a run is made with. */
export interface PipelineSettings {
  model: string;
  corpus: string;
  hook: string;
  contextSize: number;
  tokens: number;
  latents: number;
  k: number;
  batch: number;
  seed: number;
  /** why the model is what it is (e.g. the auto fallback), for the terminal */
  modelNote: string | null;
}

interface ModelShape {
  nLayer: number;
  nEmbd: number;
}

async function modelShape(spec: string): Promise<ModelShape> {
  const dir = await resolveModel(spec);
  const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { n_layer: number; n_embd: number };
  return { nLayer: config.n_layer, nEmbd: config.n_embd };
}

/** Resolves `auto` (GPT-2 small from the cache or the hub, else tiny-random) and the per-model defaults. */
export async function resolvePipeline(req: PipelineRequest): Promise<PipelineSettings> {
  let model = req.model;
  let modelNote: string | null = null;
  let shape: ModelShape;
  if (model === 'auto') {
    try {
      shape = await modelShape('gpt2');
      model = 'gpt2';
    } catch (e) {
      model = 'tiny-random';
      shape = await modelShape(model);
      modelNote = `GPT-2 small is neither in the Hugging Face cache nor downloadable here (${(e as Error).message.split('. ')[0]}), so this run uses the embedded tiny-random model`;
    }
  } else {
    shape = await modelShape(model); // an explicit model never falls back: its error stops the run
  }
  const tiny = isTinyRandom(model);
  const hook = req.hook ?? `blocks.${Math.min(6, shape.nLayer - 1)}.hook_resid_post`;
  return {
    model,
    corpus: req.corpus,
    hook,
    contextSize: 64,
    tokens: req.tokens ?? (tiny ? 200_000 : 300_000),
    latents: req.latents ?? (tiny ? 8 * shape.nEmbd : 4096),
    k: req.k,
    batch: req.batch,
    seed: req.seed,
    modelNote,
  };
}

/** Refuses to continue OUT with settings other than those it was made with. */
export async function claimPipelineDir(outDir: string, settings: PipelineSettings): Promise<'new' | 'continue'> {
  const file = path.join(outDir, PIPELINE_FILE);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const recorded = { ...settings, modelNote: undefined };
  if (text !== undefined) {
    const before = JSON.parse(text) as { settings: Record<string, unknown> };
    const diff = Object.entries(recorded)
      .filter(([k, v]) => k !== 'modelNote' && JSON.stringify(before.settings[k]) !== JSON.stringify(v))
      .map(([k, v]) => `${k}: ${JSON.stringify(before.settings[k])} → ${JSON.stringify(v)}`);
    if (diff.length) throw new CliError('USAGE', `${outDir} holds a pipeline run made with other settings (${diff.join('; ')}); rerun with the same flags to continue it, or choose another --out`);
    return 'continue';
  }
  const banner = isTinyRandom(settings.model) ? TINY_BANNER : null;
  await mkdir(outDir, { recursive: true });
  await writeFileAtomic(file, JSON.stringify({ format: 'saestream.pipeline/1', banner, settings: recorded }, null, 2) + '\n');
  return 'new';
}
