/**
 * `saestream extract`: GPT-2 activations at the named hooks, from a corpus, into shards.
 * A rerun of the same command resumes a killed run; a finished one is reported, not redone.
 */
import { defaultExtractConfig, ExtractConfig, runExtraction } from '@saestream/extract';
import { nonNegativeInt, parseFlags, positionals } from '../args';
import { Command, CliIo } from '../command';
import { CliError, EXIT } from '../errors';
import { formatDuration, progressLine } from '../progress';

const usage = 'saestream extract --model M --hook H[,H2] --out DIR [--corpus C | --tokens FILE] [flags]';

const flags = {
  model: { type: 'string', value: 'M' },
  hook: { type: 'string', value: 'H[,H2]' },
  out: { type: 'string', value: 'DIR' },
  corpus: { type: 'string', value: 'C' },
  tokens: { type: 'string', value: 'FILE' },
  context: { type: 'string', value: 'N' },
  'no-bos': { type: 'boolean' },
  'keep-bos': { type: 'boolean' },
  'max-tokens': { type: 'string', value: 'N' },
  batch: { type: 'string', value: 'N' },
  threads: { type: 'string', value: 'N' },
} as const;

const d = defaultExtractConfig;
const help = `Usage: ${usage}

Run GPT-2 over a corpus in context windows and write the activations at the named
transformer_lens hooks as Parquet shards (activations/1), with the windows' tokens
(contexts/1) and a manifest. Killed runs resume from their last complete shard when the
same command is run again.

Flags:
  --model M        gpt2 (or another hub id, fetched into the Hugging Face cache),
                   tiny-random[:SEED] (a seeded untrained 2-layer GPT-2, offline), or a
                   directory with config.json, model.safetensors, tokenizer.json
  --hook H[,H2]    hook names, e.g. blocks.6.hook_resid_post; several share one pass
  --out DIR        the run directory: DIR/contexts, DIR/activations/<hook>, DIR/manifest.json
  --corpus C       sotu (default: State of the Union addresses), a directory of .txt
                   files, or a .jsonl file with a "text" field
  --tokens FILE    pre-tokenized JSONL, one array of token ids per line, windowed as
                   given with no BOS (instead of --corpus)
  --context N      tokens per window, BOS included (default ${d.contextSize})
  --no-bos         do not prepend BOS to each window
  --keep-bos       keep the BOS position's rows in the activation shards
  --max-tokens N   stop after N window tokens (default: the whole corpus)
  --batch N        windows per forward pass (default ${d.batchContexts})
  --threads N      onnxruntime threads (default ${d.threads})
  -h, --help       print this help

Exit status: 0 done, 1 the work failed, 2 usage error.

Example:
  saestream extract --model tiny-random --corpus sotu --hook blocks.1.hook_resid_post \\
    --max-tokens 20000 --out runs/tiny
`;

const positiveInt = (flag: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = nonNegativeInt(flag, raw);
  if (n === 0) throw new CliError('USAGE', `'${flag}' must be a positive integer but got '${raw}'`);
  return n;
};

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags('extract', args, flags);
  positionals(usage, parsed.positionals, []);
  const f = parsed.flags;
  for (const name of ['model', 'hook', 'out'] as const) {
    if (f[name] === undefined) throw new CliError('USAGE', `missing --${name}; usage: ${usage}`);
  }
  if (f.tokens !== undefined && f.corpus !== undefined) throw new CliError('USAGE', `give --corpus or --tokens, not both`);
  const config: Partial<ExtractConfig> & Pick<ExtractConfig, 'model' | 'hooks'> = {
    model: f.model!,
    hooks: f.hook!.split(',').map((h) => h.trim()).filter(Boolean),
    corpus: f.corpus ?? d.corpus,
    tokensFile: f.tokens,
    contextSize: positiveInt('--context', f.context) ?? d.contextSize,
    prependBos: !f['no-bos'],
    keepBosRows: Boolean(f['keep-bos']),
    maxTokens: positiveInt('--max-tokens', f['max-tokens']),
    batchContexts: positiveInt('--batch', f.batch) ?? d.batchContexts,
    threads: positiveInt('--threads', f.threads) ?? d.threads,
  };
  const bar = progressLine(io.err, 'extract', 'tokens');
  const manifest = await runExtraction(config, f.out!, {
    onProgress: (p) => {
      const left = (p.totalTokens - p.tokens) / Math.max(p.tokensPerSecond, 1e-9);
      bar.update(p.tokens, p.totalTokens, `${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s  ETA ${formatDuration(left)}`);
    },
  });
  bar.finish();
  io.out.write(
    `${f.out}: ${manifest.tokens.toLocaleString('en-US')} tokens in ${manifest.contexts.toLocaleString('en-US')} contexts of ${manifest.model} on ${manifest.corpus}; ` +
      `${manifest.rows.toLocaleString('en-US')} activation rows per hook at ${manifest.hooks.join(', ')}\n`,
  );
  return EXIT.ok;
}

export const extract: Command = {
  name: 'extract',
  summary: 'GPT-2 activations at transformer_lens hooks, from a corpus, into shards (resumable)',
  usage,
  help,
  run,
};
