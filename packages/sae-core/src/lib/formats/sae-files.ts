/**
 * Autoencoder files on disk (Node only: this file uses node:fs; the rest of formats/ works on
 * bytes and parsed objects). `loadSae` takes any of
 *
 *   FILE.pt                                 an OpenAI state dict (openai-pt.ts)
 *   FILE.safetensors with cfg.json beside   SAELens (saelens.ts)
 *   DIR holding sae_weights.safetensors (or sae.safetensors) and cfg.json   SAELens
 *
 * and `saveSae` writes the SAELens directory, named as SAELens's `save_model` names its files
 * (constants.py `SAE_WEIGHTS_FILENAME`, `SAE_CFG_FILENAME`), so `SAE.load_from_disk(DIR)` reads it.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { readSafetensors, readTorchStateDict, writeFileAtomic, writeSafetensors } from '@saestream/io';
import { SaeError } from '../errors';
import type { Sae } from '../sae';
import { saeFromOpenAiStateDict, type LoadedSae } from './openai-pt';
import { stateDictError } from './param-tensors';
import { saeFromSaeLens, saeToSaeLens } from './saelens';
import type { SaeLensCfg } from './saelens-cfg';

/** The weights file of a SAELens directory. */
export const SAE_WEIGHTS_FILE = 'sae_weights.safetensors';
/** The config file of a SAELens directory. */
export const SAE_CFG_FILE = 'cfg.json';
/** Weights file names a directory is searched for, in order (the second is an older saestream name). */
const WEIGHTS_NAMES = [SAE_WEIGHTS_FILE, 'sae.safetensors'];

const EXPECTED = `a .pt file, a .safetensors file with ${SAE_CFG_FILE} beside it, or a directory holding ${SAE_WEIGHTS_FILE} and ${SAE_CFG_FILE}`;

export const SAE_FORMATS = ['openai-pt', 'saelens'] as const;
export type SaeFormat = (typeof SAE_FORMATS)[number];

/** What {@link loadSae} read: the autoencoder, its format, the files, and what was assumed. */
export interface SaeFile extends LoadedSae {
  format: SaeFormat;
  /** The files read, in the order read. */
  files: string[];
}

export interface LoadSaeOptions {
  /**
   * Whether the input is normalized (OpenAI's LN). For a `.pt` file, which does not record it,
   * the default is OpenAI's loader's (true for TopK); for SAELens files, the file's own value,
   * which this overrides (with a note).
   */
  normalize?: boolean;
}

/**
 * Reads an autoencoder from a path in any of the layouts in the file comment.
 * @throws SaeError 'BAD_ARGUMENT' when the path is none of them (saying what was looked for and
 *   what was found), 'BAD_STATE_DICT' when a file lacks something; IoError when a file does not parse
 */
export async function loadSae(file: string, options: LoadSaeOptions = {}): Promise<SaeFile> {
  const kind = await pathKind(file);
  if (kind === 'missing') throw new SaeError('BAD_ARGUMENT', `'${file}' does not exist; expected ${EXPECTED}`);
  if (kind === 'directory') {
    const present = await readdir(file);
    const weights = WEIGHTS_NAMES.find((name) => present.includes(name));
    if (!weights || !present.includes(SAE_CFG_FILE)) {
      const found = present.length === 0 ? 'it is empty' : `it holds [${present.sort().slice(0, 12).join(', ')}${present.length > 12 ? ', …' : ''}]`;
      throw new SaeError('BAD_ARGUMENT', `directory '${file}' is not a SAELens autoencoder: looked for ${WEIGHTS_NAMES.join(' or ')} and ${SAE_CFG_FILE}, ${found}`);
    }
    return loadSaeLens(path.join(file, weights), path.join(file, SAE_CFG_FILE), options);
  }
  const extension = path.extname(file).toLowerCase();
  if (extension === '.pt' || extension === '.pth') {
    const { sae, notes } = saeFromOpenAiStateDict(await readTorchStateDict(file), { normalize: options.normalize, file });
    return { sae, notes, format: 'openai-pt', files: [file] };
  }
  if (extension === '.safetensors') {
    const cfgFile = path.join(path.dirname(file), SAE_CFG_FILE);
    if ((await pathKind(cfgFile)) !== 'file') {
      throw new SaeError('BAD_ARGUMENT', `'${file}' is a safetensors file with no ${SAE_CFG_FILE} beside it (looked for '${cfgFile}'); expected ${EXPECTED}`);
    }
    return loadSaeLens(file, cfgFile, options);
  }
  throw new SaeError('BAD_ARGUMENT', `'${file}' has extension '${extension}'; expected ${EXPECTED}`);
}

async function loadSaeLens(weightsFile: string, cfgFile: string, options: LoadSaeOptions): Promise<SaeFile> {
  const cfg = await readJson(cfgFile);
  const { tensors } = await readSafetensors(weightsFile);
  const sae = saeFromSaeLens(tensors, cfg, { weightsFile, cfgFile });
  const notes: string[] = [];
  if (options.normalize !== undefined && options.normalize !== sae.spec.normalize) {
    notes.push(`normalize=${options.normalize} as asked, overriding ${SAE_CFG_FILE}'s normalize=${sae.spec.normalize}`);
    sae.spec = { ...sae.spec, normalize: options.normalize };
  }
  return { sae, notes, format: 'saelens', files: [weightsFile, cfgFile] };
}

/** What {@link saveSae} wrote. */
export interface SavedSae {
  weightsFile: string;
  cfgFile: string;
  /** Shape of each tensor written, by name. */
  shapes: Record<string, number[]>;
  cfg: SaeLensCfg;
}

/**
 * Writes `dir/sae_weights.safetensors` and then `dir/cfg.json` (SAELens layout; the directory is
 * made if missing), each atomically: a reader sees the old file or the whole new one.
 */
export async function saveSae(dir: string, sae: Sae): Promise<SavedSae> {
  const { tensors, cfg } = saeToSaeLens(sae);
  await mkdir(dir, { recursive: true }).catch((cause) => {
    throw new SaeError('BAD_ARGUMENT', `cannot make the directory '${dir}': ${(cause as Error).message}`, { cause });
  });
  const weightsFile = path.join(dir, SAE_WEIGHTS_FILE);
  const cfgFile = path.join(dir, SAE_CFG_FILE);
  await writeSafetensors(weightsFile, tensors);
  await writeFileAtomic(cfgFile, JSON.stringify(cfg, null, 2) + '\n').catch((cause) => {
    throw new SaeError('BAD_ARGUMENT', `cannot write '${cfgFile}': ${(cause as Error).message}`, { cause });
  });
  const shapes = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.shape]));
  return { weightsFile, cfgFile, shapes, cfg };
}

async function pathKind(file: string): Promise<'missing' | 'file' | 'directory'> {
  try {
    return (await stat(file)).isDirectory() ? 'directory' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch((cause) => {
    throw new SaeError('BAD_ARGUMENT', `cannot read '${file}': ${(cause as Error).message}`, { cause });
  });
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw stateDictError(`${SAE_CFG_FILE} is not valid JSON: ${(cause as Error).message}`, file, cause);
  }
}
