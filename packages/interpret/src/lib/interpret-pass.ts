/**
 * The one streaming pass: activations/1 batches (in written order) → the SAE's sparse codes →
 * per-latent statistics. Rows of a context arrive together (extract writes them so), which lets
 * each context be offered whole and examples carry their context's activations; a context whose
 * rows are split by others is an error (shuffled input), not silently mis-joined.
 */
import { RecordBatch } from 'apache-arrow';
import { activationColumns } from '@saestream/io';
import { SaeModel } from '@saestream/sae-core';
import { InterpretConfig } from './config';
import { InterpretError } from './errors';
import { LatentStats } from './latent-stats';

export interface PassProgress {
  tokens: number;
  contexts: number;
}

export async function interpretPass(model: SaeModel, source: AsyncIterable<RecordBatch>, latents: Int32Array, config: InterpretConfig, onProgress?: (p: PassProgress) => void): Promise<LatentStats> {
  const { dIn, nLatents } = model.sae.spec;
  const stats = new LatentStats(latents, nLatents, config);
  const done = new Set<number>();
  let ctx = -1;
  let pos: number[] = [];
  let lat: number[] = [];
  let val: number[] = [];
  let rowsInCtx = 0;
  const flush = (): void => {
    if (ctx < 0) return;
    stats.addContext({ ctx, pos: Uint16Array.from(pos), latent: Int32Array.from(lat), value: Float32Array.from(val) }, rowsInCtx);
    done.add(ctx);
    pos = [];
    lat = [];
    val = [];
    rowsInCtx = 0;
  };
  for await (const batch of source) {
    const cols = activationColumns(batch);
    if (cols.dModel !== dIn) {
      const md = batch.schema.metadata;
      throw new InterpretError('MISMATCH', `the activations have d_model ${cols.dModel} (model ${md.get('model') ?? '?'}, hook ${md.get('hook') ?? '?'}) but the SAE's d_in is ${dIn} (model ${model.sae.meta.modelName ?? '?'}, hook ${model.sae.meta.hookName ?? '?'})`);
    }
    for (let start = 0; start < cols.rows; start += config.batchRows) {
      const rows = Math.min(config.batchRows, cols.rows - start);
      const codes = model.encodeSparse(cols.act.subarray(start * dIn, (start + rows) * dIn), rows);
      for (let r = 0; r < rows; r++) {
        const c = cols.ctx[start + r];
        if (c !== ctx) {
          flush();
          if (done.has(c)) throw new InterpretError('NOT_CONTIGUOUS', `the rows of context ${c} are not together in the activations (shuffled input?); interpret reads shards in written order`);
          ctx = c;
        }
        rowsInCtx++;
        for (let i = codes.offsets[r]; i < codes.offsets[r + 1]; i++) {
          pos.push(cols.pos[start + r]);
          lat.push(codes.indices[i]);
          val.push(codes.values[i]);
        }
      }
    }
    onProgress?.({ tokens: stats.tokens + rowsInCtx, contexts: done.size });
  }
  flush();
  if (stats.tokens === 0) throw new InterpretError('NO_DATA', 'the activations hold no rows');
  return stats;
}
