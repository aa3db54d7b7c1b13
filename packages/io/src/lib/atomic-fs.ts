/**
 * Durable file writes: write to a temporary name in the same directory, fsync, rename over the
 * target, fsync the directory. A reader then sees either the old file or the whole new one,
 * whatever moment the process is killed at.
 */
import { createHash } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';

/** The temporary name a file is written under before it is renamed into place. */
export const tmpName = (file: string): string => `${file}.tmp-${process.pid}`;

/** True for names made by {@link tmpName} (left behind by a killed writer). */
export const isTmpName = (name: string): boolean => /\.tmp-\d+$/.test(name);

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `bytes` to `file` atomically. */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = tmpName(file);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await handle.close();
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/** Hex sha256 of bytes in memory. */
export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
