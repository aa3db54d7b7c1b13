/**
 * The data contracts every stage speaks (DESIGN.md § Data contracts). A schema's name and
 * version travel in the Arrow metadata under `saestream.schema`.
 *
 *   activations/1  one row per token position
 *     ctx: Uint32, pos: Uint16, token: Int32, act: FixedSizeList<Float32>[d_model]
 *     metadata: model, hook, d_model, context_size, prepend_bos, corpus
 *   contexts/1     one row per context window
 *     ctx: Uint32, doc: Uint32, offset: Uint32, tokens: List<Int32>
 */
import { Field, FixedSizeList, Float32, Int32, List, Schema, Uint16, Uint32 } from 'apache-arrow';
import { IoError } from './errors';

/** The metadata key that names a batch's schema and version. */
export const SCHEMA_KEY = 'saestream.schema';

/** The schemas this version reads and writes. */
export const SCHEMA_NAMES = ['activations/1', 'contexts/1'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

/** What an activation file says about where its rows came from. */
export interface ActivationsMeta {
  /** The model id, e.g. `gpt2` or `tiny-random:0`. */
  model: string;
  /** The transformer_lens hook name, e.g. `blocks.6.hook_resid_post`. */
  hook: string;
  /** Width of one activation row. */
  dModel: number;
  /** Tokens per context window, BOS included. */
  contextSize: number;
  /** Whether a BOS token was prepended to each window. */
  prependBos: boolean;
  /** The corpus id, e.g. `sotu`. */
  corpus: string;
}

const field = (name: string, type: ConstructorParameters<typeof Field>[1]) => new Field(name, type, false);

/** The `act` column's type for a given width. */
export function actType(dModel: number): FixedSizeList<Float32> {
  return new FixedSizeList<Float32>(dModel, new Field('item', new Float32(), false));
}

/** The `activations/1` schema with its metadata. */
export function activationsSchema(meta: ActivationsMeta): Schema {
  if (!Number.isInteger(meta.dModel) || meta.dModel < 1) {
    throw new IoError('BAD_ARGUMENT', `'dModel' must be a positive integer but got ${meta.dModel}`);
  }
  const metadata = new Map<string, string>([
    [SCHEMA_KEY, 'activations/1'],
    ['model', meta.model],
    ['hook', meta.hook],
    ['d_model', String(meta.dModel)],
    ['context_size', String(meta.contextSize)],
    ['prepend_bos', String(meta.prependBos)],
    ['corpus', meta.corpus],
  ]);
  return new Schema(
    [field('ctx', new Uint32()), field('pos', new Uint16()), field('token', new Int32()), field('act', actType(meta.dModel))],
    metadata,
  );
}

/** The `contexts/1` schema; `extra` metadata (model, corpus, ...) is kept beside the name. */
export function contextsSchema(extra: Record<string, string> = {}): Schema {
  const metadata = new Map<string, string>([...Object.entries(extra), [SCHEMA_KEY, 'contexts/1']]);
  return new Schema(
    [
      field('ctx', new Uint32()),
      field('doc', new Uint32()),
      field('offset', new Uint32()),
      field('tokens', new List(field('item', new Int32()))),
    ],
    metadata,
  );
}

/** Reads an `activations/1` schema's metadata back into its typed form. */
export function activationsMeta(schema: Schema): ActivationsMeta {
  const md = schema.metadata;
  const get = (key: string): string => {
    const value = md.get(key);
    if (value === undefined) {
      throw new IoError('SCHEMA_MISMATCH', `activations/1 metadata is missing '${key}'; it has [${[...md.keys()].join(', ')}]`);
    }
    return value;
  };
  return {
    model: get('model'),
    hook: get('hook'),
    dModel: Number(get('d_model')),
    contextSize: Number(get('context_size')),
    prependBos: get('prepend_bos') === 'true',
    corpus: get('corpus'),
  };
}

/** The schema name a schema declares, checked against the names this version knows. */
export function schemaName(schema: Schema): SchemaName {
  const name = schema.metadata.get(SCHEMA_KEY);
  if (name === undefined) {
    throw new IoError('UNKNOWN_SCHEMA', `metadata '${SCHEMA_KEY}' is missing; expected one of [${SCHEMA_NAMES.join(', ')}]`);
  }
  if (!(SCHEMA_NAMES as readonly string[]).includes(name)) {
    throw new IoError('UNKNOWN_SCHEMA', `unknown schema '${name}'; expected one of [${SCHEMA_NAMES.join(', ')}]`);
  }
  return name as SchemaName;
}
