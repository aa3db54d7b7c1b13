/**
 * `saestream eval`: how much of GPT-2's next-token behaviour an SAE keeps, by splicing its
 * reconstruction into the forward pass on held-out text (extract's spliced evaluation). Prints a
 * table (the run, then position buckets) and writes eval.json.
 */
import { mkdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { defaultSplicedEvalConfig, openSplicedEval } from '@saestream/extract';
import { writeFileAtomic } from '@saestream/io';
import { describeBackend, initBackend, loadSae, parseBackendRequest } from '@saestream/sae-core';
import { nonNegativeInt, parseFlags, positionals } from '../args';
import { Command, CliIo } from '../command';
import { CliError, EXIT } from '../errors';
import { evalTable } from '../eval-report';
import { heldOutSkip, trainingExtraction } from '../spliced-eval-setup';

const usage = 'saestream eval --sae SAE [--model M] [--corpus C] [--tokens N] [--hook H] [--out FILE] [flags]';

const flags = {
  sae: { type: 'string', value: 'SAE' },
  model: { type: 'string', value: 'M' },
  corpus: { type: 'string', value: 'C' },
  tokens: { type: 'string', value: 'N' },
  hook: { type: 'string', value: 'H' },
  'skip-tokens': { type: 'string', value: 'N' },
  out: { type: 'string', value: 'FILE' },
  backend: { type: 'string', value: 'B' },
} as const;

const d = defaultSplicedEvalConfig;
const help = `Usage: ${usage}

Splices the SAE's reconstruction into GPT-2 at its hook (every position but BOS, whose
activation stays clean) on held-out text, and measures what the next-token loss loses:

  clean, spliced       the model's loss (nats per token) as it is, and with the SAE's reconstruction
  zero-abl, mean-abl   with the activation replaced by zeros, or by its mean over the text
  Δ loss               spliced − clean
  CE rec               CE loss recovered, (ablated − spliced) / (ablated − clean), against both ablations
  KL                   KL(clean ‖ spliced) of the next-token distributions
  EV, L0, dead         explained variance, active latents per token, latents never active

for all positions and per position bucket (1–7, 8–15, 16–31, 32–63). The text: the corpus's
context windows (the SAE's context size and BOS), starting after the tokens the SAE's training
data was extracted from when --sae is a training run on the same corpus. Writes eval.json into
the SAE's directory (beside a file: <name>.eval.json), or to --out.

Flags:
  --sae SAE          a trained run (saestream train --out), a SAELens directory or file, or an OpenAI .pt
  --model M          the model (default: the SAE's model_name): gpt2, a hub id, tiny-random, a directory
  --corpus C         sotu (default), a directory of .txt files, or a .jsonl file with "text"
  --tokens N         window tokens to evaluate on, BOS included (default ${d.tokens})
  --hook H           a residual hook, blocks.L.hook_resid_pre|mid|post (default: the SAE's hook_name)
  --skip-tokens N    window tokens at the start of the corpus to pass over (default: see above)
  --out FILE         where to write the JSON report
  --backend B        tfjs backend: auto, tensorflow, wasm, cpu
  -h, --help         print this help

Exit status: 0 done, 1 the work failed (including an SAE of another width than the model's
at the hook), 2 usage error.

Example:
  saestream eval --sae runs/tiny-sae --model tiny-random --corpus sotu --tokens 2048
`;

/** eval.json's place: inside a directory, beside a file. */
async function defaultOut(sae: string): Promise<string> {
  if ((await stat(sae)).isDirectory()) return path.join(sae, 'eval.json');
  return path.join(path.dirname(sae), `${path.basename(sae, path.extname(sae))}.eval.json`);
}

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags('eval', args, flags);
  positionals(usage, parsed.positionals, []);
  const f = parsed.flags;
  if (f.sae === undefined) throw new CliError('USAGE', `missing --sae; usage: ${usage}`);
  const tokens = f.tokens === undefined ? d.tokens : nonNegativeInt('--tokens', f.tokens);
  if (tokens === 0) throw new CliError('USAGE', `'--tokens' must be a positive integer but got '0'`);
  const backend = await initBackend(f.backend ? parseBackendRequest(f.backend, '--backend') : undefined);
  io.err.write(`${describeBackend(backend)}\n`);

  const { sae, notes } = await loadSae(f.sae);
  for (const note of notes) io.err.write(`note: ${note}\n`);
  const model = f.model ?? sae.meta.modelName;
  const hook = f.hook ?? sae.meta.hookName;
  if (!model) throw new CliError('USAGE', `the SAE's cfg names no model_name; pass --model (gpt2, a hub id, tiny-random, or a directory)`);
  if (!hook) throw new CliError('USAGE', `the SAE's cfg names no hook_name; pass --hook (a residual hook such as blocks.6.hook_resid_post)`);
  const corpus = f.corpus ?? d.corpus;
  const contextSize = sae.meta.contextSize ?? d.contextSize;
  const prependBos = sae.meta.prependBos ?? d.prependBos;
  const held = heldOutSkip(await trainingExtraction(f.sae), corpus, contextSize);
  const skipTokens = f['skip-tokens'] === undefined ? held.skipTokens : nonNegativeInt('--skip-tokens', f['skip-tokens']);
  if (f['skip-tokens'] === undefined) io.err.write(`note: ${held.note}\n`);
  const out = f.out ?? (await defaultOut(f.sae));

  const config = { model, hook, corpus, tokens, skipTokens, contextSize, prependBos };
  io.err.write(`eval: ${model} to ${hook} on ${tokens.toLocaleString('en-US')} tokens of ${corpus}${skipTokens ? ` after its first ${skipTokens.toLocaleString('en-US')}` : ''}\n`);
  const { evaluator, corpusId } = await openSplicedEval(config, { dIn: sae.spec.dIn });
  try {
    const report = await evaluator.evaluate(sae);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFileAtomic(out, JSON.stringify({ format: 'saestream.eval/1', sae: f.sae, ...config, corpusId, report }, null, 1) + '\n');
    const t = report.total;
    io.out.write(
      [
        `${f.sae}: spliced at ${hook} of ${model}, ${report.contexts} contexts of ${corpus} (${t.positions.toLocaleString('en-US')} positions, ${t.predictions.toLocaleString('en-US')} predictions; BOS excluded)`,
        ...evalTable(report),
        `Δ loss ${t.deltaLoss.toFixed(4)} nats, CE loss recovered ${t.ceRecoveredZero.toFixed(3)} (zero-ablation) ${t.ceRecoveredMean.toFixed(3)} (mean-ablation), KL ${t.kl.toFixed(5)}; ${out}`,
      ].join('\n') + '\n',
    );
    return EXIT.ok;
  } finally {
    await evaluator.release();
  }
}

/** `saestream eval` (named so because `eval` cannot be a binding in strict mode). */
export const evalCommand: Command = {
  name: 'eval',
  summary: "an SAE spliced into GPT-2: Δ loss, CE loss recovered, KL, explained variance, L0, dead latents",
  usage,
  help,
  run,
};
