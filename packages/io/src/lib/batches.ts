/**
 * Builders and column views for the two record-batch schemas. Both directions are zero-copy:
 * a builder wraps the caller's typed arrays, and a view returns the batch's own buffers
 * (a sliced batch's buffers start at its first row).
 */
import { Data, FixedSizeList, Float32, Int32, List, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import { IoError } from './errors';

/** The columns of an `activations/1` batch of `rows` rows. */
export interface ActivationColumns {
  ctx: Uint32Array; // [rows]
  pos: Uint16Array; // [rows]
  token: Int32Array; // [rows]
  act: Float32Array; // [rows, dModel], row-major
}

/** The columns of a `contexts/1` batch of `rows` windows. */
export interface ContextColumns {
  ctx: Uint32Array; // [rows]
  doc: Uint32Array; // [rows]
  offset: Uint32Array; // [rows]
  tokens: Int32Array; // [sum of window lengths], windows back to back
  tokenOffsets: Int32Array; // [rows + 1]; window i is tokens[tokenOffsets[i], tokenOffsets[i+1])
}

function primitive(schema: Schema, name: string, values: ArrayLike<number> & { length: number }): Data {
  const f = schema.fields.find((x) => x.name === name);
  if (!f) throw new IoError('SCHEMA_MISMATCH', `schema has no column '${name}'`);
  return makeData({ type: f.type, length: values.length, nullCount: 0, data: values as never });
}

function structBatch(schema: Schema, rows: number, children: Data[]): RecordBatch {
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }));
}

function checkLength(column: string, got: number, expected: number): void {
  if (got !== expected) {
    throw new IoError('SCHEMA_MISMATCH', `column '${column}' has ${got} values but ${expected} were expected`);
  }
}

/** Wraps activation columns as an `activations/1` batch without copying them. */
export function activationsBatch(schema: Schema, cols: ActivationColumns): RecordBatch {
  const actField = schema.fields.find((f) => f.name === 'act');
  if (!actField || !(actField.type instanceof FixedSizeList)) {
    throw new IoError('SCHEMA_MISMATCH', `schema has no 'act: FixedSizeList<Float32>' column`);
  }
  const rows = cols.ctx.length;
  const dModel = actField.type.listSize;
  checkLength('pos', cols.pos.length, rows);
  checkLength('token', cols.token.length, rows);
  checkLength('act', cols.act.length, rows * dModel);
  const values = makeData({ type: new Float32(), length: rows * dModel, nullCount: 0, data: cols.act });
  const act = makeData({ type: actField.type, length: rows, nullCount: 0, child: values });
  return structBatch(schema, rows, [primitive(schema, 'ctx', cols.ctx), primitive(schema, 'pos', cols.pos), primitive(schema, 'token', cols.token), act]);
}

/** Wraps context columns as a `contexts/1` batch without copying them. */
export function contextsBatch(schema: Schema, cols: ContextColumns): RecordBatch {
  const tokensField = schema.fields.find((f) => f.name === 'tokens');
  if (!tokensField || !(tokensField.type instanceof List)) {
    throw new IoError('SCHEMA_MISMATCH', `schema has no 'tokens: List<Int32>' column`);
  }
  const rows = cols.ctx.length;
  checkLength('doc', cols.doc.length, rows);
  checkLength('offset', cols.offset.length, rows);
  checkLength('tokenOffsets', cols.tokenOffsets.length, rows + 1);
  checkLength('tokens', cols.tokens.length, cols.tokenOffsets[rows] ?? 0);
  const child = makeData({ type: new Int32(), length: cols.tokens.length, nullCount: 0, data: cols.tokens });
  const tokens = makeData({ type: tokensField.type, length: rows, nullCount: 0, valueOffsets: cols.tokenOffsets, child });
  return structBatch(schema, rows, [primitive(schema, 'ctx', cols.ctx), primitive(schema, 'doc', cols.doc), primitive(schema, 'offset', cols.offset), tokens]);
}

/** A column's data, checked against Arrow's name of its type ('Uint32', 'FixedSizeList', ...). */
function columnData(batch: RecordBatch, name: string, type: string): Data {
  const index = batch.schema.fields.findIndex((f) => f.name === name);
  if (index < 0) {
    throw new IoError('SCHEMA_MISMATCH', `batch has no column '${name}'; it has [${batch.schema.fields.map((f) => f.name).join(', ')}]`);
  }
  const data = batch.data.children[index];
  if (!String(data.type).startsWith(type)) {
    throw new IoError('SCHEMA_MISMATCH', `column '${name}' has type ${data.type} but ${type} was expected`);
  }
  return data;
}

/** Zero-copy views of an `activations/1` batch's columns. */
export function activationColumns(batch: RecordBatch): ActivationColumns & { rows: number; dModel: number } {
  const act = columnData(batch, 'act', 'FixedSizeList');
  const dModel = (act.type as FixedSizeList).listSize;
  const rows = batch.numRows;
  return {
    rows,
    dModel,
    ctx: columnData(batch, 'ctx', 'Uint32').values as Uint32Array,
    pos: columnData(batch, 'pos', 'Uint16').values as Uint16Array,
    token: columnData(batch, 'token', 'Int32').values as Int32Array,
    act: (act.children[0].values as Float32Array).subarray(0, rows * dModel),
  };
}

/** Zero-copy views of a `contexts/1` batch's columns (`tokenOffsets` rebased to start at 0). */
export function contextColumns(batch: RecordBatch): ContextColumns & { rows: number } {
  const list = columnData(batch, 'tokens', 'List');
  const offsets = list.valueOffsets as Int32Array;
  const start = offsets[0];
  const rows = batch.numRows;
  const tokens = (list.children[0].values as Int32Array).subarray(start, offsets[rows]);
  return {
    rows,
    ctx: columnData(batch, 'ctx', 'Uint32').values as Uint32Array,
    doc: columnData(batch, 'doc', 'Uint32').values as Uint32Array,
    offset: columnData(batch, 'offset', 'Uint32').values as Uint32Array,
    tokens,
    tokenOffsets: start === 0 ? offsets.subarray(0, rows + 1) : offsets.slice(0, rows + 1).map((o) => o - start),
  };
}
