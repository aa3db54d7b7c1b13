/**
 * A child process for the memory test: reads every row of a shard directory and prints
 * `{ rows, maxRssMB }`. Usage: node -r tools/ts-register.js read-all.ts DIR
 */
import { readShards } from '../../src';

async function main(): Promise<void> {
  let rows = 0;
  for await (const batch of readShards(process.argv[2])) rows += batch.numRows;
  process.stdout.write(JSON.stringify({ rows, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

main().catch((e) => {
  process.stderr.write(String(e) + '\n');
  process.exit(1);
});
