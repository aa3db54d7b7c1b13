/**
 * Rows of a shard directory as plain objects, the shape `--json` prints one per line (so
 * `jq` sees `.act` as an array of numbers). Float32 values become the JS numbers they are
 * exactly; JSON prints each as the shortest text that reads back to it, so nothing is rounded.
 */
import { activationColumns, contextColumns, readShards, SchemaName, take } from '@saestream/io';

/** The batch type io's readers yield (named here without depending on apache-arrow). */
type Batch = Parameters<typeof activationColumns>[0];

/** One `activations/1` row. */
export interface ActivationRow {
  ctx: number;
  pos: number;
  token: number;
  act: number[]; // [dModel]
}

/** One `contexts/1` row. */
export interface ContextRow {
  ctx: number;
  doc: number;
  offset: number;
  tokens: number[]; // [window length]
}

export type Row = ActivationRow | ContextRow;

/** The rows of one batch, in order. */
export function* batchRows(schema: SchemaName, batch: Batch): Generator<Row> {
  if (schema === 'activations/1') {
    const c = activationColumns(batch);
    for (let i = 0; i < c.rows; i++) {
      yield { ctx: c.ctx[i], pos: c.pos[i], token: c.token[i], act: Array.from(c.act.subarray(i * c.dModel, (i + 1) * c.dModel)) };
    }
  } else {
    const c = contextColumns(batch);
    for (let i = 0; i < c.rows; i++) {
      yield { ctx: c.ctx[i], doc: c.doc[i], offset: c.offset[i], tokens: Array.from(c.tokens.subarray(c.tokenOffsets[i], c.tokenOffsets[i + 1])) };
    }
  }
}

/**
 * The first `n` rows of a directory. `take` stops the reader at the row group that holds
 * row n, and one decode worker keeps the read-ahead past it to a couple of row groups.
 */
export async function* headRows(dir: string, schema: SchemaName, n: number): AsyncGenerator<Row> {
  if (n === 0) return;
  for await (const batch of take(readShards(dir, { workers: 1 }), n)) yield* batchRows(schema, batch);
}
