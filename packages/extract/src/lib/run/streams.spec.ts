import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RecordBatch } from 'apache-arrow';
import { activationColumns, readShards, shardSink } from '@saestream/io';
import { runExtraction } from './run-extraction';
import { activationStream, contextStream } from './streams';

const tmp = (name: string) => mkdtemp(path.join(tmpdir(), `saestream-${name}-`));
const config = { model: 'tiny-random', hooks: ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post'], corpus: 'sotu', maxTokens: 1500 };

beforeAll(async () => {
  process.env.HF_HUB_CACHE = await tmp('hf-cache');
});

async function rows(source: AsyncIterable<RecordBatch>): Promise<{ token: number[]; act: number[] }> {
  const token: number[] = [];
  const act: number[] = [];
  for await (const b of source) {
    const c = activationColumns(b);
    token.push(...c.token);
    act.push(...c.act);
  }
  return { token, act };
}

describe('extraction streams', () => {
  it('pipe into io shards with the same rows as a run on disk', async () => {
    const run = await tmp('run');
    await runExtraction(config, run);
    const piped = await tmp('piped');
    const first = (await activationStream(config, 'blocks.1.hook_resid_post').toArray()) as RecordBatch[];
    await pipeline(activationStream(config, 'blocks.1.hook_resid_post'), shardSink(piped, { schema: first[0].schema }));
    const expected = await rows(readShards(path.join(run, 'activations', 'blocks.1.hook_resid_post')));
    expect(await rows(readShards(piped))).toEqual(expected);
    expect(expected.token.length).toBe(1500 - 24); // 24 windows, BOS rows left out
  });

  it('give contexts/1 batches, and refuse a hook outside the config', async () => {
    const contexts = (await contextStream(config).toArray()) as RecordBatch[];
    expect(contexts.reduce((n, b) => n + b.numRows, 0)).toBe(24);
    expect(contexts[0].schema.metadata.get('saestream.schema')).toBe('contexts/1');
    expect(() => activationStream(config, 'blocks.1.hook_mlp_out')).toThrow(/not among the config's hooks/);
  });
});
