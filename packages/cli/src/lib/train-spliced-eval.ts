/**
 * `saestream train --spliced-eval-every N`: extract's spliced evaluation (as `saestream eval`)
 * of the weights being trained, every N training tokens and at the end, as `spliced-eval` lines
 * of metrics.jsonl. The model, corpus and text are fixed at the start (the prefix runs once);
 * the settings are kept in RUN/spliced-eval.json so that `--resume` evaluates exactly as the
 * run did.
 */
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { defaultSplicedEvalConfig, openSplicedEval, SplicedEvalConfig } from '@saestream/extract';
import { writeFileAtomic } from '@saestream/io';
import { PeriodicEval, readRunRecord, TrainData } from '@saestream/train';
import { nonNegativeInt } from './args';
import { CliIo } from './command';
import { CliError } from './errors';
import { extractionOf, heldOutSkip } from './spliced-eval-setup';

export const SPLICED_EVAL_FILE = 'spliced-eval.json';

export const splicedEvalFlags = {
  'spliced-eval-every': { type: 'string', value: 'N' },
  'eval-model': { type: 'string', value: 'M' },
  'eval-corpus': { type: 'string', value: 'C' },
  'eval-tokens': { type: 'string', value: 'N' },
} as const;

const line = (flag: string, text: string): string => `  --${flag.padEnd(16)} ${text}`.trimEnd();
const more = (text: string): string => `${' '.repeat(21)}${text}`;
export const splicedEvalHelp = [
  line('spliced-eval-every N', ''),
  more('splice the SAE into the model every N training tokens and at the end'),
  more("(as saestream eval): Δ loss, CE recovered, KL, ... as 'spliced-eval'"),
  more('lines of metrics.jsonl (default 0: off)'),
  line('eval-model M', 'its model (default: the one the activations came from)'),
  line('eval-corpus C', `its text (default ${defaultSplicedEvalConfig.corpus}; held out after the extracted tokens when the same)`),
  line('eval-tokens N', `window tokens it reads (default ${defaultSplicedEvalConfig.tokens})`),
].join('\n');

/** What a run's spliced evaluations read (eval's config less its engine settings) and how often; kept in RUN/spliced-eval.json. */
export type SplicedEvalSettings = Omit<SplicedEvalConfig, 'batchContexts' | 'threads'> & { everyTokens: number };

type Flags = Partial<Record<keyof typeof splicedEvalFlags, string>>;

/**
 * The settings from the flags (a new run) or RUN/spliced-eval.json (`--resume`, whose flags, if
 * any, must agree with it); undefined when the run has no spliced evaluations.
 */
export async function splicedEvalSettings(f: Flags, out: string, data: TrainData, resume: boolean, io: CliIo): Promise<SplicedEvalSettings | undefined> {
  if (resume) {
    const file = path.join(out, SPLICED_EVAL_FILE);
    const kept = await readFile(file, 'utf8').then((t) => JSON.parse(t) as SplicedEvalSettings, () => undefined);
    // as train's own flags on --resume: the run's values, or an error naming the one that differs
    const theirs: Record<keyof Flags, unknown> = { 'spliced-eval-every': kept?.everyTokens ?? 0, 'eval-model': kept?.model, 'eval-corpus': kept?.corpus, 'eval-tokens': kept?.tokens };
    const differs = (Object.keys(theirs) as (keyof Flags)[]).find((k) => f[k] !== undefined && f[k] !== String(theirs[k]));
    if (differs) {
      const what = kept ? `every ${kept.everyTokens} tokens on ${kept.tokens} tokens of ${kept.corpus} through ${kept.model}, as ${file} says` : 'none';
      throw new CliError('USAGE', `--resume continues ${out} with its own spliced evaluations (${what}); --${differs} ${f[differs]} differs: drop it`);
    }
    return kept;
  }
  const every = f['spliced-eval-every'] === undefined ? 0 : nonNegativeInt('--spliced-eval-every', f['spliced-eval-every']);
  if (!every) {
    for (const k of ['eval-model', 'eval-corpus', 'eval-tokens'] as const) if (f[k] !== undefined) throw new CliError('USAGE', `--${k} sets up --spliced-eval-every N, which is off`);
    return undefined;
  }
  const model = f['eval-model'] ?? data.meta.modelName;
  const hook = data.meta.hookName;
  if (!hook) throw new CliError('USAGE', `--spliced-eval-every: the activations name no hook in their metadata, so there is no place to splice at`);
  if (!model) throw new CliError('USAGE', `--spliced-eval-every: the activations name no model in their metadata; pass --eval-model`);
  const d = defaultSplicedEvalConfig;
  const corpus = f['eval-corpus'] ?? d.corpus;
  const tokens = f['eval-tokens'] === undefined ? d.tokens : nonNegativeInt('--eval-tokens', f['eval-tokens']);
  if (tokens === 0) throw new CliError('USAGE', `'--eval-tokens' must be a positive integer but got '0'`);
  const contextSize = data.meta.contextSize ?? d.contextSize;
  const held = heldOutSkip(data.location ? await extractionOf(data.location) : undefined, corpus, contextSize);
  io.err.write(`note: spliced eval: ${held.note}\n`);
  return { everyTokens: every, model, hook, corpus, tokens, skipTokens: held.skipTokens, contextSize, prependBos: data.meta.prependBos ?? d.prependBos };
}

/**
 * Opens the evaluation (the model run to the hook once) and records its settings in a new RUN
 * (not in a directory that holds another run: the trainer refuses that one).
 * @returns the trainer's option and what frees the model
 */
export async function openTrainEval(s: SplicedEvalSettings, out: string, data: TrainData, io: CliIo): Promise<{ evaluate: PeriodicEval; release(): Promise<void> }> {
  io.err.write(`spliced eval every ${s.everyTokens.toLocaleString('en-US')} tokens: ${s.model} at ${s.hook}, ${s.tokens.toLocaleString('en-US')} tokens of ${s.corpus}${s.skipTokens ? ` after its first ${s.skipTokens.toLocaleString('en-US')}` : ''}\n`);
  const { everyTokens, ...config } = s;
  const { evaluator } = await openSplicedEval(config, { dIn: data.dModel });
  if (!(await readRunRecord(out))) {
    await mkdir(out, { recursive: true });
    await writeFileAtomic(path.join(out, SPLICED_EVAL_FILE), JSON.stringify(s, null, 1) + '\n');
  }
  return {
    evaluate: { everyTokens, run: async (sae) => ({ ...(await evaluator.evaluate(sae)).total }) },
    release: () => evaluator.release(),
  };
}
