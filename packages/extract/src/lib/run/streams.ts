/**
 * An extraction as Node streams, for scripts that pipe stages: `activationStream` gives one
 * hook's `activations/1` batches, `contextStream` the `contexts/1` batches, each a forward
 * pass at a time (back-pressure pauses the model). Nothing is written to disk; for shards
 * and resume, use `runExtraction`.
 *
 *   await pipeline(activationStream({ model: 'gpt2', hooks: ['blocks.6.hook_resid_post'] }), shardSink(dir, { schema }))
 */
import { Readable } from 'node:stream';
import { RecordBatch } from 'apache-arrow';
import { ExtractConfig, validateExtractConfig } from '../config';
import { ExtractError } from '../errors';
import { ResolveOptions } from '../model';
import { extractBatches, ExtractedBatch } from './forward-batches';
import { openSource } from './source';

type Config = Partial<ExtractConfig> & Pick<ExtractConfig, 'model' | 'hooks'>;

async function* batches(config: Config, pick: (b: ExtractedBatch) => RecordBatch, resolve?: ResolveOptions): AsyncGenerator<RecordBatch> {
  const c = validateExtractConfig(config);
  const source = await openSource(c, resolve);
  for await (const b of extractBatches(source, c)) yield pick(b);
}

/** `activations/1` batches of `hook` (the config's first hook when not named). */
export function activationStream(config: Config, hook: string = config.hooks[0], resolve?: ResolveOptions): Readable {
  if (!config.hooks.includes(hook)) throw new ExtractError('UNKNOWN_HOOK', `'${hook}' is not among the config's hooks [${config.hooks.join(', ')}]`);
  return Readable.from(batches(config, (b) => b.activations.get(hook)!, resolve), { objectMode: true, highWaterMark: 1 });
}

/** `contexts/1` batches: each window's ctx, document, offset and tokens. */
export function contextStream(config: Config, resolve?: ResolveOptions): Readable {
  return Readable.from(batches(config, (b) => b.contexts, resolve), { objectMode: true, highWaterMark: 1 });
}
