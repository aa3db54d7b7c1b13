/**
 * A child process for the crash test: writes the synthetic stream of `rows` rows into `dir`
 * through `shardSink`, slowly, printing `shard N` after each shard lands.
 * Usage: node -r tools/ts-register.js write-synthetic.ts DIR ROWS
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readManifest, shardSink } from '../../src';
import { syntheticStream, testSchema } from './synthetic';

async function main(): Promise<void> {
  const [dir, rows] = process.argv.slice(2);
  const schema = testSchema(32);
  async function* slow() {
    for await (const batch of syntheticStream(schema, Number(rows), [300])) {
      await new Promise((r) => setTimeout(r, 5));
      yield batch;
    }
  }
  let shards = 0;
  const sink = shardSink(dir, {
    schema,
    rowsPerShard: 2000,
    rowGroupRows: 500,
    onOpen: (w) => process.stdout.write(`resumed ${w.resumedRows}\n`),
  });
  const watch = setInterval(() => {
    // Report newly landed shards so the parent can kill mid-way through the next one.
    readManifest(dir).then((m) => {
      if (m && m.shards.length > shards) process.stdout.write(`shard ${(shards = m.shards.length)}\n`);
    }, () => undefined);
  }, 20);
  await pipeline(Readable.from(slow()), sink);
  clearInterval(watch);
  process.stdout.write('done\n');
}

main().catch((e) => {
  process.stderr.write(String(e) + '\n');
  process.exit(1);
});
