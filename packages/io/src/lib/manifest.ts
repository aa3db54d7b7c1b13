/**
 * `manifest.json` of a shard directory: what the directory holds, written atomically and
 * last, after the shard it adds is complete on disk. Only what it lists counts as data; a
 * shard file it does not list is the remains of an interrupted write.
 *
 *   { "format": "saestream.shards/1", "schema": "activations/1",
 *     "metadata": { ...Arrow schema metadata... }, "rows": 70000,
 *     "shards": [ { "file": "part-00000.parquet", "rows": 32768, "rowGroups": 8,
 *                   "bytes": 101000000, "sha256": "…", "rowGroupBytes": […],
 *                   "rowGroupSha256": […], "tailSha256": "…" }, … ] }
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic-fs';
import { IoError } from './errors';
import { SCHEMA_NAMES, SchemaName } from './schemas';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'saestream.shards/1';

/** One complete shard. */
export interface ShardEntry {
  /** File name inside the directory, `part-NNNNN.parquet`. */
  file: string;
  rows: number;
  rowGroups: number;
  bytes: number;
  /** Hex sha256 of the whole file. */
  sha256: string;
  /** Bytes of each row group, back to back from the start of the file (see parquet.ts). */
  rowGroupBytes: number[];
  /** Hex sha256 of each row group's bytes: a damaged row group is found, and named, before it is decoded. */
  rowGroupSha256: string[];
  /** Hex sha256 of the bytes after the last row group (page indexes, footer). */
  tailSha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  schema: SchemaName;
  /** The Arrow schema metadata every shard carries (`saestream.schema` included). */
  metadata: Record<string, string>;
  /** Total rows over `shards`. */
  rows: number;
  shards: ShardEntry[];
  /** Set when the writer was closed normally; cleared while shards are being added. */
  complete?: boolean;
}

/** The name of shard number `index`. */
export const shardFileName = (index: number): string => `part-${String(index).padStart(5, '0')}.parquet`;

/** Reads and checks a directory's manifest; `undefined` when the directory has none. */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IoError('BAD_MANIFEST', `cannot read the manifest`, { file, cause: e });
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new IoError('BAD_MANIFEST', `the manifest is not valid JSON`, { file, cause: e });
  }
  if (m.format !== MANIFEST_FORMAT) {
    throw new IoError('BAD_MANIFEST', `expected format '${MANIFEST_FORMAT}' but got '${m.format}'`, { file });
  }
  if (!(SCHEMA_NAMES as readonly string[]).includes(m.schema)) {
    throw new IoError('UNKNOWN_SCHEMA', `unknown schema '${m.schema}'; expected one of [${SCHEMA_NAMES.join(', ')}]`, { file });
  }
  const sum = m.shards.reduce((s, x) => s + x.rows, 0);
  if (sum !== m.rows) {
    throw new IoError('BAD_MANIFEST', `rows is ${m.rows} but the shards hold ${sum}`, { file });
  }
  return m;
}

/** Replaces the directory's manifest atomically. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 1) + '\n');
}

/** A shard directory's manifest, required: a directory without one is an error. */
export async function requireManifest(dir: string): Promise<Manifest> {
  const m = await readManifest(dir);
  if (!m) throw new IoError('BAD_MANIFEST', `no ${MANIFEST_FILE}: not a shard directory, or nothing was completed in it`, { file: dir });
  return m;
}
