/**
 * `saestream pipeline` (what `npm start` runs): extract → train → interpret into one run folder,
 * then points at the viewer. Rerun the same command after a crash or Ctrl-C and it skips the
 * finished stages and resumes the unfinished one; other settings on the same folder are refused.
 */
import { SpliceMeasures } from '@saestream/extract';
import { describeBackend, initBackend } from '@saestream/sae-core';
import { nonNegativeInt, parseFlags, positionals } from '../args';
import { Command, CliIo } from '../command';
import { CliError, EXIT } from '../errors';
import { TINY_BANNER, isTinyRandom } from '../interpret-inputs';
import { formatDuration, progressLine } from '../progress';
import { claimPipelineDir, defaultPipelineRequest, PipelineRequest, resolvePipeline } from '../pipeline/pipeline-config';
import { EVAL_TOKENS, evalStage, extractStage, interpretStage, stageDirs, trainStage } from '../pipeline/stages';

const usage = 'saestream pipeline [--out DIR] [--model auto|gpt2|tiny-random|DIR] [--tokens N] [--latents N] [flags]';

const flags = {
  out: { type: 'string', value: 'DIR' },
  model: { type: 'string', value: 'M' },
  corpus: { type: 'string', value: 'C' },
  hook: { type: 'string', value: 'H' },
  tokens: { type: 'string', value: 'N' },
  latents: { type: 'string', value: 'N' },
  k: { type: 'string', value: 'K' },
  batch: { type: 'string', value: 'N' },
  seed: { type: 'string', value: 'N' },
} as const;

const d = defaultPipelineRequest;
const help = `Usage: ${usage}

From a corpus to a viewer of an SAE's latents, in one folder: extract GPT-2 activations
(DIR/extract), train a TopK SAE on them (DIR/train), splice it into the model on held-out text
(DIR/eval.json: Δ loss, CE loss recovered, KL), interpret its latents (DIR/interpret), and say
where the viewer is. Run the same command again after a crash or Ctrl-C: finished
stages are skipped, the unfinished one resumes (training from its last checkpoint).

Flags:
  --out DIR       the run folder (default runs/pipeline)
  --model M       auto (default): GPT-2 small from the Hugging Face cache or hub, else the
                  embedded untrained tiny-random model (with a banner saying so); gpt2 (never
                  falls back), tiny-random, a hub id, or a directory with config.json,
                  model.safetensors, tokenizer.json
  --corpus C      sotu (default), a directory of .txt files, or a .jsonl file with "text"
  --hook H        default blocks.6.hook_resid_post (the last layer's for smaller models)
  --tokens N      tokens to extract and train on (default 300,000 for GPT-2 small, 200,000 for tiny-random)
  --latents N     SAE width (default 4,096 for GPT-2 small, 8 × d_model for tiny-random)
  --k K           TopK k (default ${d.k})
  --batch N       tokens per training step (default ${d.batch})
  --seed N        seeds init and shuffle (default ${d.seed})
  -h, --help      print this help

Exit status: 0 done, 1 a stage failed, 2 usage error (or other settings on an existing folder),
130 interrupted (rerun the same command to continue).
`;

function request(f: Record<string, string | boolean | undefined>): PipelineRequest {
  const int = (name: string): number | undefined => {
    const raw = f[name];
    if (typeof raw !== 'string') return undefined;
    const n = nonNegativeInt(`--${name}`, raw);
    if (n === 0) throw new CliError('USAGE', `'--${name}' must be a positive integer but got '0'`);
    return n;
  };
  return {
    model: (f.model as string | undefined) ?? d.model,
    corpus: (f.corpus as string | undefined) ?? d.corpus,
    hook: (f.hook as string | undefined) ?? null,
    tokens: int('tokens') ?? null,
    latents: int('latents') ?? null,
    k: int('k') ?? d.k,
    batch: int('batch') ?? d.batch,
    seed: typeof f.seed === 'string' ? nonNegativeInt('--seed', f.seed) : d.seed,
  };
}

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags('pipeline', args, flags);
  positionals(usage, parsed.positionals, []);
  const out = (parsed.flags.out as string | undefined) ?? 'runs/pipeline';
  const started = Date.now();
  const s = await resolvePipeline(request(parsed.flags));
  if (s.modelNote) io.err.write(`note: ${s.modelNote}\n`);
  if (isTinyRandom(s.model)) io.err.write(`\n  ⚠  ${TINY_BANNER}\n\n`);
  const state = await claimPipelineDir(out, s);
  io.err.write(`pipeline ${out} (${state === 'new' ? 'new' : 'continuing'}): ${s.model}, ${s.hook}, ${s.corpus}, ${s.tokens.toLocaleString('en-US')} tokens, ${s.latents.toLocaleString('en-US')} latents, k ${s.k}\n`);
  io.err.write(`${describeBackend(await initBackend())}\n`);

  const abort = new AbortController();
  let stage = 'extract';
  const onSigint = (): void => {
    if (stage === 'train') {
      io.err.write('\nsaestream: interrupted; checkpointing after this step (Ctrl-C again to kill)\n');
      abort.abort();
      return;
    }
    io.err.write(`\nsaestream: interrupted during ${stage}; its finished parts are kept: rerun the same command to continue\n`);
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  try {
    const ext = progressLine(io.err, '[1/4] extract  ', 'tokens');
    const manifest = await extractStage(s, out, (done, total, rate) => ext.update(done, total, `${Math.round(rate).toLocaleString('en-US')} tok/s  ETA ${formatDuration((total - done) / Math.max(rate, 1e-9))}`));
    ext.update(manifest.tokens, manifest.tokens);
    ext.finish();

    stage = 'train';
    const tr = progressLine(io.err, '[2/4] train    ', 'tokens');
    const trained = await trainStage(s, out, abort.signal, (p) => {
      if (p.phase !== 'train' || !p.last) return;
      const total = p.totalTokens ?? p.tokens;
      tr.update(p.tokens, total, `nmse ${p.last.nmse.toFixed(3)}  L0 ${p.last.l0.toFixed(1)}  dead ${((100 * p.last.dead) / s.latents).toFixed(1)}%  ${Math.round(p.tokensPerSec).toLocaleString('en-US')} tok/s  ETA ${formatDuration((total - p.tokens) / Math.max(p.tokensPerSec, 1e-9))}`);
    });
    tr.finish();
    if (trained === null) io.err.write('[2/4] train     finished earlier: skipped\n');
    else if (!trained.finished) {
      io.out.write(`${out}: interrupted in training at step ${trained.steps}; checkpoint ${trained.checkpoint}; rerun the same command to continue\n`);
      return 130; // the shell's status for SIGINT
    }

    stage = 'eval';
    io.err.write(`[3/4] eval      splicing the SAE into ${s.model} on ${EVAL_TOKENS.toLocaleString('en-US')} held-out tokens\n`);
    const evaluated = await evalStage(s, out);
    if (evaluated.skipped) io.err.write('[3/4] eval      finished earlier: skipped\n');

    stage = 'interpret';
    const ip = progressLine(io.err, '[4/4] interpret', 'tokens');
    const interp = await interpretStage(out, evaluated.total, (tokens) => ip.update(tokens, manifest.rows));
    ip.finish();
    for (const note of interp.notes) io.err.write(`note: ${note}\n`);
    if (!interp.summary) io.err.write('[4/4] interpret finished earlier: skipped\n');

    io.out.write(await summaryText(out, s, manifest.tokens, interp.viewer, evaluated.total, (Date.now() - started) / 1000));
    return EXIT.ok;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** The closing summary: what was trained on what, how well, and where to look. */
async function summaryText(out: string, s: Awaited<ReturnType<typeof resolvePipeline>>, tokens: number, viewer: string, ev: SpliceMeasures, seconds: number): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const lines = (await readFile(join(stageDirs(out).train, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
  const lastEval = lines.filter((l) => l.kind === 'eval').pop();
  const lastTrain = lines.filter((l) => l.kind === 'train').pop();
  const pct = (x: unknown): string => `${(100 * Number(x)).toFixed(1)}%`;
  return [
    `${out}: done in ${formatDuration(seconds)}`,
    `  model      ${s.model}${isTinyRandom(s.model) ? '  (untrained: see the banner above; use --model gpt2 for real latents)' : ''}`,
    `  hook       ${s.hook}`,
    `  tokens     ${tokens.toLocaleString('en-US')} from ${s.corpus}`,
    `  SAE        ${s.latents.toLocaleString('en-US')} latents, TopK k=${s.k}: ${stageDirs(out).train}`,
    `  nmse       ${lastEval ? Number(lastEval.nmse).toFixed(4) : '?'} (held out)`,
    `  L0         ${lastTrain ? Number(lastTrain.l0).toFixed(1) : '?'}`,
    `  dead       ${lastTrain ? pct(lastTrain.deadFraction) : '?'}`,
    `  spliced    CE loss recovered ${ev.ceRecoveredZero.toFixed(3)} (zero-ablation), Δ loss ${ev.deltaLoss.toFixed(4)} nats, KL ${ev.kl.toFixed(4)}: ${join(out, 'eval.json')}`,
    `  viewer     ${viewer}   (or: saestream view ${stageDirs(out).interpret})`,
    '',
  ].join('\n');
}

export const pipeline: Command = {
  name: 'pipeline',
  summary: 'extract → train → interpret in one folder, resumable; the quickest way to a viewer (npm start)',
  usage,
  help,
  run,
};
