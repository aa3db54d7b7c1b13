/**
 * What `saestream eval` and `saestream train --spliced-eval-every` share: where an SAE's
 * training text ended, so that the evaluation reads held-out text after it.
 */
import * as path from 'node:path';
import { readRunManifest, RunManifest } from '@saestream/extract';
import { readRunRecord } from '@saestream/train';

/** The extraction run a data directory belongs to: DIR itself, or the run holding DIR = RUN/activations/<hook>. */
export async function extractionOf(dataDir: string): Promise<RunManifest | undefined> {
  return (await readRunManifest(dataDir).catch(() => undefined)) ?? (await readRunManifest(path.dirname(path.dirname(dataDir))).catch(() => undefined));
}

/** The extraction a trained SAE run directory read (through its train.json), if it can be found. */
export async function trainingExtraction(saePath: string): Promise<RunManifest | undefined> {
  const record = await readRunRecord(saePath).catch(() => undefined);
  return record?.dataDir ? extractionOf(record.dataDir) : undefined;
}

/**
 * Window tokens of `corpus` to skip so that an evaluation reads text the SAE was not trained
 * on: the extraction's token count when it cut the same corpus the same way, else 0.
 * @returns the skip and a note saying what it is
 */
export function heldOutSkip(extraction: RunManifest | undefined, corpus: string, contextSize: number): { skipTokens: number; note: string } {
  const c = extraction?.config;
  if (extraction && c && c.corpus === corpus && c.tokensFile === undefined && c.contextSize === contextSize) {
    return { skipTokens: extraction.tokens, note: `held-out text: ${corpus} after the ${extraction.tokens.toLocaleString('en-US')} tokens the SAE's training data was extracted from` };
  }
  return { skipTokens: 0, note: `the text evaluated on starts at the beginning of ${corpus}; the SAE may have been trained on it (--skip-tokens N to pass over it)` };
}
