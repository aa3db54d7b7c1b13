/**
 * `saestream train`: a TopK SAE on an extraction run's activations, with a progress line,
 * metrics.jsonl, checkpoints, and `--resume` to continue a run exactly where it stopped.
 * Ctrl-C checkpoints after the current step and exits 130.
 */
import { readFile } from 'node:fs/promises';
import { describeBackend, initBackend, loadSae, parseBackendRequest } from '@saestream/sae-core';
import { defaultTrainConfig, readRunRecord, shardData, TrainConfig, trainSae } from '@saestream/train';
import { parseFlags, positionals } from '../args';
import { Command, CliIo } from '../command';
import { CliError, EXIT } from '../errors';
import { formatDuration, progressLine } from '../progress';
import { openTrainEval, splicedEvalFlags, splicedEvalHelp, splicedEvalSettings } from '../train-spliced-eval';

const usage = 'saestream train --data DIR --out RUN [--latents N] [--k K] [flags]  |  saestream train --out RUN --resume';

type Kind = 'int' | 'number' | 'bool' | 'int?' | 'number?';
/** flag → [config field, value kind, help] */
const CONFIG_FLAGS: Record<string, [keyof TrainConfig, Kind, string]> = {
  latents: ['latents', 'int', 'number of latents'],
  k: ['k', 'int', 'latents kept per token (TopK)'],
  'k-aux': ['kAux', 'int?', 'AuxK latents per token, 0: off (default: power of 2 nearest d_model/2)'],
  'auxk-coef': ['auxkCoef', 'number', 'weight of the AuxK loss'],
  'dead-tokens': ['deadTokens', 'int', 'tokens without firing after which a latent is dead'],
  normalize: ['normalize', 'bool', "OpenAI's input LayerNorm, true|false"],
  batch: ['batch', 'int', 'tokens per step'],
  lr: ['lr', 'number?', 'learning rate (default 2e-4/sqrt(latents/2^14))'],
  warmup: ['warmupSteps', 'int', 'steps of linear lr warmup'],
  clip: ['clipGradNorm', 'number?', 'clip the gradient norm to this (default none)'],
  ema: ['emaDecay', 'number?', 'keep and export an EMA of the weights with this decay (default none)'],
  'max-tokens': ['maxTokens', 'int?', 'stop after N training tokens (default: one pass)'],
  seed: ['seed', 'int', 'seed of the init and the shuffle'],
  'shuffle-buffer': ['shuffleBufferRows', 'int', 'rows in the shuffle buffer'],
  'init-rows': ['initRows', 'int', 'rows for the geometric-median init'],
  'eval-rows': ['evalRows', 'int', 'held-out rows for evaluation'],
  'eval-every': ['evalEvery', 'int', 'evaluate on the held-out rows every N steps (0: at the end)'],
  'checkpoint-every': ['checkpointEveryTokens', 'int', 'checkpoint every N tokens'],
};

const flags = {
  data: { type: 'string', value: 'DIR' },
  hook: { type: 'string', value: 'H' },
  out: { type: 'string', value: 'RUN' },
  config: { type: 'string', value: 'FILE' },
  init: { type: 'string', value: 'SAE' },
  backend: { type: 'string', value: 'B' },
  resume: { type: 'boolean' },
  ...splicedEvalFlags,
  ...Object.fromEntries(Object.keys(CONFIG_FLAGS).map((name) => [name, { type: 'string', value: 'X' }])),
} as const;

const fmtDefault = (v: unknown): string => (v === null ? 'none' : typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(4))) : String(v));
const help = `Usage: ${usage}

Train a TopK sparse autoencoder (OpenAI's: AuxK, tied init, unit-norm decoder) on the
activations of an extraction run, read through a seeded shuffle buffer. Writes to RUN:
metrics.jsonl (a line per step, and per evaluation on held-out rows), checkpoints/ and
checkpoint.json (atomic, every --checkpoint-every tokens and at the end), train.json, and
the final autoencoder as SAELens files (sae_weights.safetensors + cfg.json).

Flags:
  --data DIR        an extraction run (extract's --out) or an activations shard directory
  --hook H          which hook of a run with several
  --out RUN         the run directory
  --resume          continue RUN from its latest checkpoint, exactly (config from RUN/train.json)
  --config FILE     a JSON file of the fields below (camelCase) and data, out, hook; flags win
  --init SAE        start from this autoencoder (.pt, SAELens file or directory)
  --backend B       tfjs backend: auto, tensorflow, wasm, cpu (default auto, or SAESTREAM_BACKEND)
${Object.entries(CONFIG_FLAGS)
  .map(([name, [field, , text]]) => `  --${(name + ' X').padEnd(15)} ${text}${text.includes('default') ? '' : ` (default ${fmtDefault(defaultTrainConfig[field])})`}`)
  .join('\n')}
${splicedEvalHelp}
  -h, --help        print this help

Exit status: 0 done, 1 the work failed, 2 usage error, 130 interrupted (checkpointed).

Example:
  saestream train --data runs/tiny --latents 512 --k 8 --dead-tokens 2000 --out runs/tiny-sae
`;

function parseValue(flag: string, kind: Kind, raw: string): number | boolean | null {
  if (kind === 'bool') {
    if (raw !== 'true' && raw !== 'false') throw new CliError('USAGE', `'--${flag}' must be one of [true, false] but got '${raw}'`);
    return raw === 'true';
  }
  if (kind.endsWith('?') && raw === 'none') return null;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (kind.startsWith('int') && !Number.isSafeInteger(n))) {
    throw new CliError('USAGE', `'--${flag}' must be ${kind.startsWith('int') ? 'an integer' : 'a number'}${kind.endsWith('?') ? " or 'none'" : ''} but got '${raw}'`);
  }
  return n;
}

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8').catch((e: Error) => {
    throw new CliError('NOT_FOUND', `cannot read --config ${file}: ${e.message}`);
  });
  try {
    const value = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value;
  } catch (e) {
    throw new CliError('USAGE', `--config ${file} must be a JSON object of train settings: ${(e as Error).message}`);
  }
}

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags('train', args, flags);
  positionals(usage, parsed.positionals, []);
  const f = parsed.flags as Record<string, string | boolean | undefined>;
  const file = typeof f.config === 'string' ? await readConfigFile(f.config) : {};
  const { data: fileData, out: fileOut, hook: fileHook, ...fileConfig } = file as Record<string, unknown>;
  const out = (f.out as string | undefined) ?? (fileOut as string | undefined);
  if (!out) throw new CliError('USAGE', `missing --out; usage: ${usage}`);
  const record = f.resume ? await readRunRecord(out) : undefined;
  if (f.resume && !record) throw new CliError('NOT_FOUND', `--resume: ${out} holds no training run (no train.json); start one without --resume`);
  const config: Partial<TrainConfig> = { ...record?.config, ...(fileConfig as Partial<TrainConfig>) };
  for (const [name, [field, kind]] of Object.entries(CONFIG_FLAGS)) {
    const raw = f[name];
    if (typeof raw === 'string') (config as Record<string, unknown>)[field] = parseValue(name, kind, raw);
  }
  const dataDir = (f.data as string | undefined) ?? (fileData as string | undefined) ?? record?.dataDir;
  if (!dataDir) throw new CliError('USAGE', `missing --data; usage: ${usage}`);

  const backend = await initBackend(typeof f.backend === 'string' ? parseBackendRequest(f.backend, '--backend') : undefined);
  io.err.write(`${describeBackend(backend)}\n`);
  const c = { ...defaultTrainConfig, ...config };
  const data = await shardData(dataDir, { hook: (f.hook as string | undefined) ?? (fileHook as string | undefined), seed: c.seed, bufferRows: c.shuffleBufferRows, batch: c.batch });
  const init = typeof f.init === 'string' ? await loadSae(f.init) : undefined;
  for (const note of init?.notes ?? []) io.err.write(`note: ${note}\n`);
  const splicedSettings = await splicedEvalSettings(f, out, data, Boolean(f.resume), io);
  const spliced = splicedSettings ? await openTrainEval(splicedSettings, out, data, io) : undefined;

  const abort = new AbortController();
  const onSigint = (): void => {
    io.err.write('\nsaestream: interrupted; checkpointing after this step (Ctrl-C again to kill)\n');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  const bar = progressLine(io.err, 'train', 'tokens');
  try {
    const result = await trainSae(config, data, out, {
      resume: Boolean(f.resume),
      init: init?.sae,
      signal: abort.signal,
      evaluate: spliced?.evaluate,
      onProgress: (p) => {
        if (p.phase !== 'train' || !p.last) return;
        const total = p.totalTokens ?? p.tokens;
        const left = (total - p.tokens) / Math.max(p.tokensPerSec, 1e-9);
        const m = p.last;
        bar.update(p.tokens, total, `loss ${m.loss.toFixed(4)}  nmse ${m.nmse.toFixed(3)}  L0 ${m.l0.toFixed(1)}  dead ${((100 * m.dead) / c.latents).toFixed(1)}%  ${Math.round(p.tokensPerSec).toLocaleString('en-US')} tok/s  ETA ${formatDuration(left)}`);
      },
    });
    bar.finish();
    const last = result.last;
    const heldOut = result.eval ? `held-out nmse ${result.eval.nmse.toFixed(4)} (fvu ${result.eval.fvu.toFixed(4)}), ` : '';
    const stats = last ? `${heldOut}L0 ${last.l0.toFixed(1)}, dead ${((100 * last.dead) / c.latents).toFixed(1)}%` : 'no steps';
    if (!result.finished) {
      io.out.write(`${out}: interrupted at step ${result.steps} (${result.tokens.toLocaleString('en-US')} tokens); checkpoint ${result.checkpoint}; continue with: saestream train --out ${out} --resume\n`);
      return 130; // the shell's status for SIGINT
    }
    io.out.write(`${out}: ${result.tokens.toLocaleString('en-US')} tokens in ${result.steps} steps${result.resumedFromStep !== null ? ` (resumed from step ${result.resumedFromStep})` : ''}; ${stats}; SAE in ${out} (sae_weights.safetensors + cfg.json)\n`);
    const s = result.splicedEval;
    if (s) io.out.write(`spliced eval at step ${result.steps}: Δ loss ${s.deltaLoss.toFixed(4)}, CE loss recovered ${s.ceRecoveredZero.toFixed(3)} (zero-ablation) ${s.ceRecoveredMean.toFixed(3)} (mean-ablation), KL ${s.kl.toFixed(5)}; every eval in ${out}/metrics.jsonl\n`);
    return EXIT.ok;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await spliced?.release();
  }
}

export const train: Command = {
  name: 'train',
  summary: 'a TopK sparse autoencoder on extracted activations (metrics, checkpoints, exact --resume)',
  usage,
  help,
  run,
};
