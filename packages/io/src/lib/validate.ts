/**
 * Checks that a schema or batch is what a stage expects: the declared schema name, every
 * column present with its type, `act`'s width equal to `d_model`, and (on request) only
 * finite activations. Stages call this on the first batch, not inside their loops.
 */
import { DataType, FixedSizeList, RecordBatch, Schema, Type } from 'apache-arrow';
import { IoError, IoErrorWhere } from './errors';
import { activationColumns } from './batches';
import { SchemaName, schemaName } from './schemas';

interface ColumnSpec {
  name: string;
  /** Arrow's name of the type (`String(type)`); for lists, the list kind and its element. */
  type: string;
  item?: string;
}

const COLUMNS: Record<SchemaName, ColumnSpec[]> = {
  'activations/1': [
    { name: 'ctx', type: 'Uint32' },
    { name: 'pos', type: 'Uint16' },
    { name: 'token', type: 'Int32' },
    { name: 'act', type: 'FixedSizeList', item: 'Float32' },
  ],
  'contexts/1': [
    { name: 'ctx', type: 'Uint32' },
    { name: 'doc', type: 'Uint32' },
    { name: 'offset', type: 'Uint32' },
    { name: 'tokens', type: 'List', item: 'Int32' },
  ],
};

/** What to require beyond the schema's own declaration. */
export interface SchemaExpectation {
  /** The schema the caller needs; any known schema when absent. */
  name?: SchemaName;
  /** For activations: the width the caller needs (e.g. an SAE's d_in). */
  dModel?: number;
}

/** Whether a type matches a spec: primitives by name, lists by kind and element name. */
function matches(t: DataType, spec: ColumnSpec): boolean {
  if (spec.item === undefined) return String(t) === spec.type;
  const kind = spec.type === 'List' ? Type.List : Type.FixedSizeList;
  return t.typeId === kind && String(t.children[0].type) === spec.item;
}

/** Validates a schema against its declared name and the caller's expectation; returns the name. */
export function validateSchema(schema: Schema, expect: SchemaExpectation = {}, where: IoErrorWhere = {}): SchemaName {
  let name: SchemaName;
  try {
    name = schemaName(schema);
  } catch (e) {
    throw new IoError((e as IoError).code, (e as IoError).message, where);
  }
  if (expect.name !== undefined && expect.name !== name) {
    throw new IoError('SCHEMA_MISMATCH', `expected schema '${expect.name}' but got '${name}'`, where);
  }
  for (const spec of COLUMNS[name]) {
    const f = schema.fields.find((x) => x.name === spec.name);
    if (!f) {
      throw new IoError('SCHEMA_MISMATCH', `${name} needs column '${spec.name}' but the columns are [${schema.fields.map((x) => x.name).join(', ')}]`, where);
    }
    if (!matches(f.type, spec)) {
      const want = spec.item === undefined ? spec.type : `${spec.type}<${spec.item}>`;
      throw new IoError('SCHEMA_MISMATCH', `column '${spec.name}' must be ${want} but is ${f.type}`, where);
    }
  }
  if (name === 'activations/1') {
    const width = (schema.fields.find((x) => x.name === 'act')!.type as FixedSizeList).listSize;
    const declared = Number(schema.metadata.get('d_model'));
    if (declared !== width) {
      throw new IoError('SCHEMA_MISMATCH', `metadata d_model is ${schema.metadata.get('d_model')} but 'act' rows have ${width} values`, where);
    }
    if (expect.dModel !== undefined && expect.dModel !== width) {
      throw new IoError('SCHEMA_MISMATCH', `expected d_model ${expect.dModel} but the activations have d_model ${width}`, where);
    }
  }
  return name;
}

/** Finds the first non-finite activation; -1 when every value is finite. */
export function firstNonFinite(act: Float32Array): number {
  for (let i = 0; i < act.length; i++) {
    // x - x is 0 for finite x and NaN for NaN or ±Inf: one comparison per value.
    if (act[i] - act[i] !== 0) return i;
  }
  return -1;
}

/** Validates a batch's schema and, with `checkFinite`, that its activations are all finite. */
export function validateBatch(
  batch: RecordBatch,
  expect: SchemaExpectation & { checkFinite?: boolean } = {},
  where: IoErrorWhere = {},
): SchemaName {
  const name = validateSchema(batch.schema, expect, where);
  if (expect.checkFinite && name === 'activations/1') {
    const { act, dModel } = activationColumns(batch);
    const i = firstNonFinite(act);
    if (i >= 0) {
      const row = Math.floor(i / dModel);
      throw new IoError('NON_FINITE', `activation ${act[i]} at batch row ${row}, element ${i % dModel}`, where);
    }
  }
  return name;
}
