import { Field, Int32, RecordBatch, Schema, Uint16 } from 'apache-arrow';
import { activationColumns, activationsBatch, contextColumns, contextsBatch, contextsSchema, validateBatch, validateSchema } from '../index';
import { activationsMeta } from './schemas';
import { testSchema } from '../../test/support/synthetic';
import { catchError } from '../../test/support/errors';

const code = (f: () => unknown): string => catchError(f).code;

describe('activations/1 batches', () => {
  const schema = testSchema(4);
  const cols = {
    ctx: Uint32Array.from([0, 0, 1]),
    pos: Uint16Array.from([1, 2, 1]),
    token: Int32Array.from([5, 6, 7]),
    act: Float32Array.from({ length: 12 }, (_, i) => i / 3),
  };

  it('wraps the caller arrays without copying, and views them back', () => {
    const batch = activationsBatch(schema, cols);
    const back = activationColumns(batch);
    expect(back.act.buffer).toBe(cols.act.buffer);
    expect(back.ctx.buffer).toBe(cols.ctx.buffer);
    expect(back).toMatchObject({ rows: 3, dModel: 4 });
    expect(Array.from(back.act)).toEqual(Array.from(cols.act));
    expect(validateBatch(batch)).toBe('activations/1');
    expect(activationsMeta(batch.schema)).toEqual({ model: 'synthetic', hook: 'blocks.0.hook_resid_post', dModel: 4, contextSize: 64, prependBos: true, corpus: 'synthetic' });
  });

  it('views of a sliced batch start at its first row', () => {
    const back = activationColumns(activationsBatch(schema, cols).slice(1, 3));
    expect(Array.from(back.token)).toEqual([6, 7]);
    expect(Array.from(back.act)).toEqual(Array.from(cols.act.subarray(4)));
  });

  it('rejects columns of the wrong length', () => {
    expect(code(() => activationsBatch(schema, { ...cols, act: new Float32Array(11) }))).toBe('SCHEMA_MISMATCH');
  });

  it('finds NaN and Inf only when asked', () => {
    const act = cols.act.slice();
    act[6] = NaN;
    const batch = activationsBatch(schema, { ...cols, act });
    expect(validateBatch(batch)).toBe('activations/1');
    expect(() => validateBatch(batch, { checkFinite: true })).toThrow(/NaN at batch row 1, element 2/);
    act[6] = -Infinity;
    expect(code(() => validateBatch(batch, { checkFinite: true }))).toBe('NON_FINITE');
  });
});

describe('contexts/1 batches', () => {
  it('round-trips windows of different lengths, also when sliced', () => {
    const schema = contextsSchema({ corpus: 'x' });
    const cols = {
      ctx: Uint32Array.from([0, 1, 2]),
      doc: Uint32Array.from([0, 0, 1]),
      offset: Uint32Array.from([0, 63, 0]),
      tokens: Int32Array.from([1, 2, 3, 4, 5, 6]),
      tokenOffsets: Int32Array.from([0, 3, 4, 6]),
    };
    const batch = contextsBatch(schema, cols);
    expect(validateBatch(batch)).toBe('contexts/1');
    const back = contextColumns(batch.slice(1, 3));
    expect(Array.from(back.tokens)).toEqual([4, 5, 6]);
    expect(Array.from(back.tokenOffsets)).toEqual([0, 1, 3]);
    expect(Array.from(back.doc)).toEqual([0, 1]);
  });
});

describe('schema validation', () => {
  const good = testSchema(8);
  const withField = (i: number, f: Field) => new Schema(good.fields.map((x, j) => (j === i ? f : x)), good.metadata);
  const withMeta = (k: string, v: string | undefined) => {
    const md = new Map(good.metadata);
    if (v === undefined) md.delete(k);
    else md.set(k, v);
    return new Schema(good.fields, md);
  };
  const cases: [string, Schema, object, string, RegExp][] = [
    ['wrong d_model for the caller', good, { dModel: 768 }, 'SCHEMA_MISMATCH', /expected d_model 768 but the activations have d_model 8/],
    ['metadata d_model disagrees with act', withMeta('d_model', '9'), {}, 'SCHEMA_MISMATCH', /d_model is 9 but 'act' rows have 8/],
    ['missing column', new Schema(good.fields.slice(0, 3), good.metadata), {}, 'SCHEMA_MISMATCH', /needs column 'act' but the columns are \[ctx, pos, token\]/],
    ['wrong column type', withField(1, new Field('pos', new Int32())), {}, 'SCHEMA_MISMATCH', /column 'pos' must be Uint16 but is Int32/],
    ['wrong list element type', withField(3, new Field('act', new Uint16())), {}, 'SCHEMA_MISMATCH', /column 'act' must be FixedSizeList<Float32> but is Uint16/],
    ['unknown schema version', withMeta('saestream.schema', 'activations/9'), {}, 'UNKNOWN_SCHEMA', /unknown schema 'activations\/9'; expected one of \[activations\/1, contexts\/1\]/],
    ['no schema name', withMeta('saestream.schema', undefined), {}, 'UNKNOWN_SCHEMA', /'saestream.schema' is missing/],
    ['the other schema', good, { name: 'contexts/1' }, 'SCHEMA_MISMATCH', /expected schema 'contexts\/1' but got 'activations\/1'/],
  ];
  it.each(cases)('%s', (_, schema, expectation, errorCode, message) => {
    expect(code(() => validateSchema(schema, expectation))).toBe(errorCode);
    expect(() => validateSchema(schema, expectation)).toThrow(message);
  });

  it('names the file and row group when given', () => {
    expect(() => validateSchema(good, { dModel: 2 }, { file: 'a.parquet', rowGroup: 3 })).toThrow(/\(a.parquet, row group 3\)$/);
  });

  it('accepts a batch built from the schema', () => {
    const batch: RecordBatch = activationsBatch(good, { ctx: new Uint32Array(1), pos: new Uint16Array(1), token: new Int32Array(1), act: new Float32Array(8) });
    expect(validateBatch(batch, { name: 'activations/1', dModel: 8 })).toBe('activations/1');
  });
});
