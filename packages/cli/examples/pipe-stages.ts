// Stages piped in a script: GPT-2 activations straight from the model into the trainer, with
// no shards on disk (npx ts-node, or node -r ./tools/ts-register.js, runs it from the repo).
import { activationStream } from '@saestream/extract';
import { initBackend } from '@saestream/sae-core';
import { trainSae, TrainData } from '@saestream/train';

export async function trainLive(out: string, tokens = 20_000) {
  await initBackend();
  const extract = { model: 'tiny-random', hooks: ['blocks.1.hook_resid_post'], maxTokens: tokens };
  const data: TrainData = {
    open: () => activationStream(extract), // replayable: each call runs the model again (resume replays it)
    dModel: 64,
    rows: null,
    meta: { modelName: extract.model, hookName: extract.hooks[0] },
    identity: extract,
  };
  return trainSae({ latents: 512, k: 8, batch: 256, deadTokens: 2000, initRows: 2048 }, data, out);
}

if (require.main === module) void trainLive('runs/live').then((r) => console.log(`${r.tokens} tokens, held-out nmse ${r.eval?.nmse.toFixed(3)}`));
