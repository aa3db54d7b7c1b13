/**
 * The files of a training run besides checkpoints: `train.json` (config and data identity,
 * written at the start; a resume must match it) and `metrics.jsonl` (one JSON object per line).
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '@saestream/io';
import { TrainConfig } from './config';
import { TrainError } from './errors';

export const RUN_FILE = 'train.json';
export const METRICS_FILE = 'metrics.jsonl';
const FORMAT = 'saestream.train/1';

export interface RunRecord {
  format: typeof FORMAT;
  config: TrainConfig;
  data: Record<string, unknown>;
  /** The shard directory the run read, when it read one (so --resume can find it). */
  dataDir?: string;
}

export async function readRunRecord(outDir: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(path.join(outDir, RUN_FILE), 'utf8')) as RunRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TrainError('BAD_CHECKPOINT', `${path.join(outDir, RUN_FILE)} is unreadable: ${(e as Error).message}`, { cause: e });
  }
}

export const writeRunRecord = (outDir: string, config: TrainConfig, data: Record<string, unknown>, dataDir?: string): Promise<void> =>
  writeFileAtomic(path.join(outDir, RUN_FILE), JSON.stringify({ format: FORMAT, config, data, dataDir }, null, 2) + '\n');

/** Field names whose values differ between two records (config.x, data.y). */
export function recordDifferences(a: RunRecord, config: TrainConfig, data: Record<string, unknown>): string[] {
  const diff: string[] = [];
  for (const [k, v] of Object.entries(config)) if (JSON.stringify(a.config[k as keyof TrainConfig]) !== JSON.stringify(v)) diff.push(`config.${k}: ${JSON.stringify(a.config[k as keyof TrainConfig])} → ${JSON.stringify(v)}`);
  for (const [k, v] of Object.entries(data)) if (JSON.stringify(a.data[k]) !== JSON.stringify(v)) diff.push(`data.${k}`);
  return diff;
}

export class MetricsLog {
  constructor(readonly file: string) {}

  /**
   * Keeps only lines with step ≤ `step` (what a checkpoint at `step` had seen).
   * @returns the step of the last line kept of each kind (`eval`, `spliced-eval`, …)
   */
  async truncateAfter(step: number): Promise<Record<string, number>> {
    const text = await readFile(this.file, 'utf8').catch(() => '');
    const kept = text.split('\n').filter((line) => line && (JSON.parse(line) as { step: number }).step <= step);
    await writeFile(this.file, kept.map((l) => l + '\n').join(''));
    const last: Record<string, number> = {};
    for (const l of kept.map((line) => JSON.parse(line) as { kind: string; step: number })) last[l.kind] = l.step;
    return last;
  }

  append(record: Record<string, unknown>): Promise<void> {
    return appendFile(this.file, JSON.stringify(record) + '\n');
  }
}
