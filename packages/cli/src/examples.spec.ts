import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { trainLive } from '../examples/pipe-stages';
import { tempDir } from '../test/support/shards';

const EXAMPLE = path.join(__dirname, '..', 'examples', 'pipe-stages.ts');

it("the README's script example is examples/pipe-stages.ts, verbatim", async () => {
  const readme = await readFile(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  expect(readme).toContain((await readFile(EXAMPLE, 'utf8')).trim());
});

it('trains an SAE on activations piped live from the model', async () => {
  process.env.HF_HUB_CACHE = await tempDir('hf');
  const result = await trainLive(path.join(await tempDir('live'), 'sae'), 8000);
  expect(result.finished).toBe(true);
  expect(result.tokens).toBeGreaterThan(3000); // 8,000 window tokens less BOS rows and the 4,096 held-out rows
  expect(result.eval?.nmse).toBeLessThan(1);
}, 120_000);
