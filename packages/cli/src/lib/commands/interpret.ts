/**
 * `saestream interpret`: what each latent of a trained SAE responds to, from an extraction run's
 * activations and contexts: Parquet tables and a static viewer in OUT (`saestream view OUT`).
 */
import { runInterpret } from '@saestream/interpret';
import { describeBackend, initBackend, loadSae, parseBackendRequest } from '@saestream/sae-core';
import { nonNegativeInt, parseFlags, positionals, trueOrFalse } from '../args';
import { Command, CliIo } from '../command';
import { CliError, EXIT } from '../errors';
import { interpretInputsFromRun } from '../interpret-inputs';
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
  const { inputs, manifest, notes: modelNotes } = await interpretInputsFromRun(f.data!, sae, { hook: f.hook, model: f.model, logits: !f['no-logits'] });
  for (const note of modelNotes) io.err.write(`note: ${note}\n`);
  const bar = progressLine(io.err, 'interpret', 'tokens');
  const summary = await runInterpret(
    inputs,
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
