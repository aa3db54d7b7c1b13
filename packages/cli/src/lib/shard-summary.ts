/**
 * What `shards inspect` reports about a shard directory, as plain data: printed as text or
 * as the first JSON line. Everything but the verification comes from manifest.json, so a
 * summary of a directory of any size reads one small file.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { activationsSchema, contextsSchema, IoError, Manifest, readManifest, readShards, SchemaName } from '@saestream/io';
import { CliError } from './errors';

/** The outcome of reading every row group with its digest checked. */
export type VerifyResult = { ok: true; rows: number; rowGroups: number } | { ok: false; code: string; message: string };

export interface ShardSummary {
  dir: string;
  /** The manifest's format, `saestream.shards/1`. */
  format: string;
  schema: SchemaName;
  /** The Arrow schema metadata every shard carries (`saestream.schema` included). */
  metadata: Record<string, string>;
  /** Column names and Arrow types (`String(type)`, e.g. `FixedSizeList[768]<Float32>`). */
  columns: { name: string; type: string }[];
  shards: { file: string; rows: number; rowGroups: number; bytes: number; sha256: string }[];
  totals: { shards: number; rows: number; rowGroups: number; bytes: number };
  /** Whether the writer was closed normally; false while shards are added or after a crash. */
  complete: boolean;
  /** Present with `--verify`. */
  verify?: VerifyResult;
}

/**
 * The manifest of `dir`. The library answers "no manifest" for a missing directory and an
 * empty one alike; the CLI tells the user which of the two it is.
 */
export async function openShardDir(dir: string): Promise<Manifest> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new CliError('NOT_FOUND', `'${dir}' does not exist`);
  if (!st.isDirectory()) throw new CliError('NOT_SHARDS', `'${dir}' is not a directory; expected a shard directory holding manifest.json`);
  const manifest = await readManifest(dir);
  if (!manifest) {
    throw new CliError('NOT_SHARDS', `'${dir}' is not a shard directory: it has no manifest.json (a writer that completed no shard leaves none)`);
  }
  return manifest;
}

/**
 * The columns the shards hold, from the schema the manifest declares. The reader checks what
 * it decodes against this same schema, so no row group has to be read to show it.
 */
function declaredColumns(dir: string, m: Manifest): ShardSummary['columns'] {
  let schema: ReturnType<typeof contextsSchema>;
  if (m.schema === 'activations/1') {
    const md = m.metadata;
    const dModel = Number(md.d_model);
    if (!Number.isInteger(dModel) || dModel < 1) {
      const file = path.join(dir, 'manifest.json');
      throw new CliError('NOT_SHARDS', `${file} declares activations/1 but its metadata d_model is '${md.d_model}'; expected a positive integer`);
    }
    schema = activationsSchema({ model: md.model, hook: md.hook, dModel, contextSize: Number(md.context_size), prependBos: md.prepend_bos === 'true', corpus: md.corpus });
  } else {
    schema = contextsSchema();
  }
  return schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
}

/** The summary of a directory whose manifest has been read. */
export function summarize(dir: string, m: Manifest): ShardSummary {
  const shards = m.shards.map((s) => ({ file: s.file, rows: s.rows, rowGroups: s.rowGroups, bytes: s.bytes, sha256: s.sha256 }));
  const sum = (key: 'rows' | 'rowGroups' | 'bytes') => shards.reduce((n, s) => n + s[key], 0);
  return {
    dir,
    format: m.format,
    schema: m.schema,
    metadata: m.metadata,
    columns: declaredColumns(dir, m),
    shards,
    totals: { shards: shards.length, rows: sum('rows'), rowGroups: sum('rowGroups'), bytes: sum('bytes') },
    complete: m.complete === true,
  };
}

/**
 * Reads every row group, each checked against the manifest's sha256 before it is decoded.
 * Damage is an answer here, not an exception: the caller prints the summary, then fails.
 */
export async function verifyShards(dir: string): Promise<VerifyResult> {
  let rows = 0;
  let rowGroups = 0;
  try {
    for await (const batch of readShards(dir, { verify: true })) {
      rows += batch.numRows;
      rowGroups += 1;
    }
  } catch (e) {
    if (e instanceof IoError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
  return { ok: true, rows, rowGroups };
}
