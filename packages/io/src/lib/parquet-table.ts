/**
 * Whole small tables as one Parquet file each (summaries, example lists: not activations, which
 * go through the shard writer). Written atomically; any Arrow table, its schema metadata kept.
 */
import { readFile } from 'node:fs/promises';
import { Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { writeFileAtomic } from './atomic-fs';
import { IoError } from './errors';

export async function writeParquetTable(file: string, table: Table): Promise<void> {
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setCreatedBy('saestream').build();
  const bytes = pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(table, 'stream')), props);
  await writeFileAtomic(file, bytes);
}

export async function readParquetTable(file: string): Promise<Table> {
  const bytes = await readFile(file).catch((e: Error) => {
    throw new IoError('MISSING_SHARD', `cannot read ${file}: ${e.message}`, { file, cause: e });
  });
  try {
    return tableFromIPC(pw.readParquet(new Uint8Array(bytes)).intoIPCStream());
  } catch (e) {
    throw new IoError('CORRUPT_FILE', `${file} is not a readable Parquet file: ${(e as Error).message}`, { file, cause: e });
  }
}
