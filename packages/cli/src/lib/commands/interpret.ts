/**
 * `saestream interpret`: what each latent of a trained SAE responds to, from an extraction run's
 * activations and contexts: Parquet tables and a static viewer in OUT (`saestream view OUT`).
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadModelDir, readRunManifest, resolveModel, RunManifest } from '@saestream/extract';
import { runInterpret, vocabFromTokenizerJson } from '@saestream/interpret';
import { readManifest, readShards, toFloat32 } from '@saestream/io';
import { describeBackend, initBackend, loadSae, parseBackendRequest } from '@saestream/sae-core';
import { nonNegativeInt, parseFlags, positionals, trueOrFalse } from '../args';
import { Command, CliIo } from '../command';
import { CliError, EXIT } from '../errors';
import { progressLine } from '../progress';

const usage = 'saestream interpret --sae SAE --data RUN --out OUT [--latents all|N|A-B|A,B] [flags]';

const flags = {
  sae: { type: 'string', value: 'SAE' },
  data: { type: 'string', value: 'RUN' },
  out: { type: 'string', value: 'OUT' },
  hook: { type: 'string', value: 'H' },
  latents: { type: 'string', value: 'SPEC' },
  top: { type: 'string', value: 'N' },
  model: { type: 'string', value: 'M' },
  'no-logits': { type: 'boolean' },
  normalize: { type: 'string', value: 'true|false' },
  backend: { type: 'string', value: 'B' },
} as const;

const help = `Usage: ${usage}

One pass of an extraction run's activations through the SAE's encoder, keeping per latent the
top-activating contexts (with the latent's value at every token), density, mean and max, a
histogram and examples across quantiles; joined back to the text through the run's contexts;
with each latent's logit effects (its decoder row times the unembedding, ln_f not folded in)
when the model can be loaded. Writes OUT/latents.parquet, OUT/examples.parquet,
OUT/viewer/ (open OUT/viewer/index.html, or serve it: saestream view OUT) and OUT/interpret.json.

Flags:
  --sae SAE          a trained run (saestream train --out), a SAELens directory or file, or an OpenAI .pt
  --data RUN         the extraction run (saestream extract --out) the activations come from
  --out OUT          where to write
  --hook H           which hook of a run with several (default: the SAE's hook)
  --latents SPEC     all (default), a count N, a range A-B or a list A,B,C
  --top N            top contexts per latent (default 20)
  --model M          the model for token text and logit effects (default: the run's)
  --no-logits        skip logit effects
  --normalize B      override the SAE's input LN (true|false)
  --backend B        tfjs backend: auto, tensorflow, wasm, cpu
  -h, --help         print this help

Example:
  saestream interpret --sae runs/tiny-sae --data runs/tiny --out runs/tiny-interpret
`;

const TINY_BANNER = 'tiny-random is an untrained, randomly initialised GPT-2: these latents describe random weights, not language. For real latents extract with --model gpt2 (from the Hugging Face hub or a local directory).';

/** The model's vocab and wte, or null (with the reason) when the model cannot be loaded here. */
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

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags('interpret', args, flags);
  positionals(usage, parsed.positionals, []);
  const f = parsed.flags;
  for (const name of ['sae', 'data', 'out'] as const) if (f[name] === undefined) throw new CliError('USAGE', `missing --${name}; usage: ${usage}`);
  const top = f.top === undefined ? undefined : nonNegativeInt('--top', f.top);
  if (top === 0) throw new CliError('USAGE', `'--top' must be a positive integer but got '0'`);
  const backend = await initBackend(f.backend ? parseBackendRequest(f.backend, '--backend') : undefined);
  io.err.write(`${describeBackend(backend)}\n`);

  const { sae, notes } = await loadSae(f.sae!, { normalize: f.normalize === undefined ? undefined : trueOrFalse('--normalize', f.normalize) });
  for (const note of notes) io.err.write(`note: ${note}\n`);
  const runDir = f.data!;
  const manifest: RunManifest | undefined = await readRunManifest(runDir);
  if (!manifest) throw new CliError('NOT_FOUND', `${runDir} is not a finished extraction run (no manifest.json of format saestream.extraction/1); run saestream extract first`);
  const hook = f.hook ?? (sae.meta.hookName && manifest.hooks.includes(sae.meta.hookName) ? sae.meta.hookName : manifest.hooks.length === 1 ? manifest.hooks[0] : undefined);
  if (!hook || !manifest.hooks.includes(hook)) throw new CliError('USAGE', `${hook ? `hook '${hook}' is not in ${runDir}` : `${runDir} holds several hooks`}; choose --hook from [${manifest.hooks.join(', ')}]`);
  const actDir = path.join(runDir, manifest.shards.activations[hook]);
  const ctxDir = path.join(runDir, manifest.shards.contexts);
  const actManifest = await readManifest(actDir);
  const ctxManifest = await readManifest(ctxDir).catch(() => undefined);
  const md = actManifest?.metadata ?? {};

  const model = f.model ?? manifest.model;
  const unembedding = await loadUnembedding(model, !f['no-logits']);
  if (unembedding.note) io.err.write(`note: ${unembedding.note}\n`);
  const bar = progressLine(io.err, 'interpret', 'tokens');
  const summary = await runInterpret(
    {
      sae,
      activations: () => readShards(actDir),
      activationsMeta: { model: md.model, hook: md.hook, dModel: Number(md.d_model) },
      contexts: ctxManifest ? () => readShards(ctxDir) : null,
      vocab: unembedding.vocab,
      wte: unembedding.wte,
      banner: /^tiny-random(:\d+)?$/.test(model) ? TINY_BANNER : null,
    },
    f.out!,
    { latents: f.latents, config: top ? { topN: top } : {}, onProgress: (p) => p.phase === 'encode' && bar.update(p.tokens, manifest.rows) },
  );
  bar.finish();
  io.out.write(`${f.out}: ${summary.tokens.toLocaleString('en-US')} tokens through ${summary.latents.toLocaleString('en-US')} latents (${summary.silent} never fired); viewer ${summary.viewer} (or: saestream view ${f.out})\n`);
  return EXIT.ok;
}

export const interpret: Command = {
  name: 'interpret',
  summary: "each latent's top-activating texts, density, histogram and logit effects, as tables and a viewer",
  usage,
  help,
  run,
};
