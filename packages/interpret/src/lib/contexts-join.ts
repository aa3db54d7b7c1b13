/**
 * The join back to the text: the contexts/1 rows of the contexts that examples point at
 * (document id, token offset in the document, the window's tokens). Only the wanted contexts
 * are kept, so memory follows the examples, not the corpus.
 */
import { RecordBatch } from 'apache-arrow';
import { contextColumns } from '@saestream/io';
import { InterpretError } from './errors';

export interface ContextRow {
  doc: number;
  offset: number;
  tokens: Int32Array;
}

export async function readContexts(source: AsyncIterable<RecordBatch>, wanted: Set<number>): Promise<Map<number, ContextRow>> {
  const found = new Map<number, ContextRow>();
  for await (const batch of source) {
    const c = contextColumns(batch);
    for (let r = 0; r < c.rows; r++) {
      if (!wanted.has(c.ctx[r])) continue;
      const start = c.tokenOffsets[r];
      found.set(c.ctx[r], { doc: c.doc[r], offset: c.offset[r], tokens: c.tokens.slice(start, c.tokenOffsets[r + 1]) });
    }
  }
  const missing = [...wanted].filter((ctx) => !found.has(ctx));
  if (missing.length) throw new InterpretError('NO_DATA', `contexts ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} have activations but no row in contexts/ (were the contexts written by the same extraction?)`);
  return found;
}
