/**
 * An extraction run on disk, crash-safe and resumable:
 *
 *   OUT/run.json                      the config, written first: a rerun with another config is refused
 *   OUT/contexts/                     contexts/1 shards (io's ShardWriter: manifest, digests)
 *   OUT/activations/<hook>/           activations/1 shards, one directory per hook
 *   OUT/manifest.json                 model, hooks, config, corpus, counts; written last, atomically
 *
 * Before any forward pass the windows are planned (the corpus tokenized once): that finds an
 * empty corpus or a bad token before anything is written, gives the progress bar its total,
 * and tells a resumed run where to start. Each shard writer knows how many rows it holds; the
 * run restarts at the first context some writer lacks, and each writer drops the rows it
 * already has, so a killed-and-resumed run ends with the same shards as an uninterrupted one.
 */
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { RecordBatch } from 'apache-arrow';
import { ShardWriter, writeFileAtomic } from '@saestream/io';
import { ExtractConfig, validateExtractConfig } from '../config';
import { ExtractError } from '../errors';
import { ResolveOptions } from '../model';
import { extractBatches, rowsOf, runSchemas } from './forward-batches';
import { openSource } from './source';

export const RUN_FORMAT = 'saestream.extraction/1';

/** What `manifest.json` of a finished run says. */
export interface RunManifest {
  format: typeof RUN_FORMAT;
  model: string;
  hooks: string[];
  corpus: string;
  config: ExtractConfig;
  /** The model's shape, for readers that need d_model or the vocabulary size. */
  gpt2: { nLayer: number; nEmbd: number; nHead: number; vocabSize: number; nPositions: number };
  contexts: number;
  tokens: number;
  /** Activation rows per hook (= tokens less the BOS rows left out). */
  rows: number;
  /** Shard directories relative to the run directory. */
  shards: { contexts: string; activations: Record<string, string> };
  complete: true;
}

export interface ExtractionProgress {
  /** Window tokens done, BOS included (those of a resumed run's earlier part counted). */
  tokens: number;
  totalTokens: number;
  contexts: number;
  totalContexts: number;
  /** Tokens found done on disk when this run started. */
  resumedTokens: number;
  elapsedMs: number;
  /** Tokens per second of this run's own forward passes. */
  tokensPerSecond: number;
}

export interface RunOptions {
  onProgress?: (p: ExtractionProgress) => void;
  resolve?: ResolveOptions;
}

export const activationsDir = (hook: string): string => path.join('activations', hook);

/** Runs (or resumes, or finds finished) an extraction into `outDir`. */
export async function runExtraction(config: Partial<ExtractConfig> & Pick<ExtractConfig, 'model' | 'hooks'>, outDir: string, opts: RunOptions = {}): Promise<RunManifest> {
  const c = validateExtractConfig(config);
  const source = await openSource(c, opts.resolve);
  const done = await readRunManifest(outDir);
  if (done) {
    await claimRunDir(outDir, c, source.modelId, source.corpusId); // same config, or an error
    return done;
  }

  // Plan: every window's length, from one tokenizing pass; bad text fails here, before OUT is touched.
  const lengths: number[] = [];
  for await (const w of source.windows()) lengths.push(w.tokens.length);
  if (lengths.length === 0) throw new ExtractError('BAD_CORPUS', `the corpus '${source.corpusId}' gives no tokens`);
  await claimRunDir(outDir, c, source.modelId, source.corpusId);
  const rowsPerWindow = lengths.map((len) => rowsOf(len, c));

  const schemas = runSchemas(source, c);
  const writers = new Map<string, ShardWriter>();
  const contextsWriter = await ShardWriter.open(path.join(outDir, 'contexts'), { schema: schemas.contexts, rowsPerShard: c.rowsPerShard });
  for (const hook of c.hooks) {
    writers.set(hook, await ShardWriter.open(path.join(outDir, activationsDir(hook)), { schema: schemas.activations.get(hook)!, rowsPerShard: c.rowsPerShard }));
  }

  // Resume: the first context some writer lacks, and what each writer must drop from there.
  const windowsHeld = (rows: number) => {
    let n = 0;
    for (let sum = 0; n < rowsPerWindow.length && sum + rowsPerWindow[n] <= rows; n++) sum += rowsPerWindow[n];
    return n;
  };
  const startCtx = Math.min(contextsWriter.resumedRows, ...[...writers.values()].map((w) => windowsHeld(w.resumedRows)));
  const rowsBefore = rowsPerWindow.slice(0, startCtx).reduce((a, b) => a + b, 0);
  const skip = new Map<string, number>([...writers].map(([hook, w]) => [hook, w.resumedRows - rowsBefore]));
  let skipContexts = contextsWriter.resumedRows - startCtx;

  const totalTokens = lengths.reduce((a, b) => a + b, 0);
  const resumedTokens = lengths.slice(0, startCtx).reduce((a, b) => a + b, 0);
  let tokens = resumedTokens;
  let contexts = startCtx;
  const start = performance.now();
  for await (const batch of extractBatches(source, c, startCtx)) {
    skipContexts = await feed(contextsWriter, batch.contexts, skipContexts);
    for (const [hook, w] of writers) skip.set(hook, await feed(w, batch.activations.get(hook)!, skip.get(hook)!));
    tokens += batch.tokens;
    contexts += batch.contexts.numRows;
    const elapsedMs = performance.now() - start;
    opts.onProgress?.({ tokens, totalTokens, contexts, totalContexts: lengths.length, resumedTokens, elapsedMs, tokensPerSecond: ((tokens - resumedTokens) * 1000) / elapsedMs });
  }
  await contextsWriter.close();
  for (const w of writers.values()) await w.close();

  const manifest: RunManifest = {
    format: RUN_FORMAT,
    model: source.modelId,
    hooks: c.hooks,
    corpus: source.corpusId,
    config: c,
    gpt2: { nLayer: source.gpt2.nLayer, nEmbd: source.gpt2.nEmbd, nHead: source.gpt2.nHead, vocabSize: source.gpt2.vocabSize, nPositions: source.gpt2.nPositions },
    contexts: lengths.length,
    tokens: totalTokens,
    rows: rowsPerWindow.reduce((a, b) => a + b, 0),
    shards: { contexts: 'contexts', activations: Object.fromEntries(c.hooks.map((h) => [h, activationsDir(h)])) },
    complete: true,
  };
  await writeFileAtomic(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}

/** Writes `batch` after dropping its first `skip` rows; returns the rows still to drop. */
async function feed(writer: ShardWriter, batch: RecordBatch, skip: number): Promise<number> {
  if (skip >= batch.numRows) return skip - batch.numRows;
  await writer.write(skip === 0 ? batch : batch.slice(skip));
  return 0;
}

/** The finished run's manifest, if the directory holds one. */
export async function readRunManifest(outDir: string): Promise<RunManifest | undefined> {
  const text = await readFile(path.join(outDir, 'manifest.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const m = JSON.parse(text) as RunManifest;
  return m.format === RUN_FORMAT && m.complete ? m : undefined;
}

/** Records the run's config in OUT/run.json, or checks it against the one already there. */
async function claimRunDir(outDir: string, c: ExtractConfig, model: string, corpus: string): Promise<void> {
  const file = path.join(outDir, 'run.json');
  const mine = { format: RUN_FORMAT, model, corpus, config: c };
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) {
    await mkdir(outDir, { recursive: true });
    await writeFileAtomic(file, JSON.stringify(mine, null, 1) + '\n');
    return;
  }
  const theirs = JSON.parse(text) as typeof mine;
  const a = JSON.stringify({ ...theirs.config, model: theirs.model, corpus: theirs.corpus });
  const b = JSON.stringify({ ...mine.config, model, corpus });
  if (a !== b) {
    const diff = Object.keys({ ...theirs.config, ...c }).filter((k) => JSON.stringify((theirs.config as never)[k]) !== JSON.stringify((c as never)[k]));
    const what = theirs.model !== model ? 'model' : theirs.corpus !== corpus ? 'corpus' : diff.join(', ');
    throw new ExtractError('BAD_ARGUMENT', `${outDir} holds an extraction with another ${what} (see run.json there); use another --out or remove it`);
  }
}
