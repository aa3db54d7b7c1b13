/**
 * A child process for the crash test: runs an extraction of tiny-random over sotu into DIR,
 * sleeping SLOW_MS after each forward pass (so the parent can kill it part-way) and printing
 * `tokens N` after each. Usage: node -r tools/ts-register.js run-extract.ts DIR [SLOW_MS]
 */
import { runExtraction } from '../../src';

export const CRASH_RUN = {
  model: 'tiny-random',
  hooks: ['blocks.0.hook_resid_post', 'blocks.1.hook_mlp_out'],
  corpus: 'sotu',
  maxTokens: 6000,
  batchContexts: 4,
  rowsPerShard: 700,
};

async function main(): Promise<void> {
  const [dir, slow] = process.argv.slice(2);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  await runExtraction(CRASH_RUN, dir, {
    onProgress: (p) => {
      process.stdout.write(`tokens ${p.tokens}\n`);
      if (slow) Atomics.wait(pause, 0, 0, Number(slow));
    },
  });
  process.stdout.write('done\n');
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(String(e) + '\n');
    process.exit(1);
  });
}
