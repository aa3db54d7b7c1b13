/**
 * From a model spec to a directory `loadModelDir` can read:
 *
 *   DIR (an existing directory)  → DIR itself
 *   tiny-random | tiny-random:SEED → `<cache>/saestream--tiny-random-<SEED>/`, written on first use
 *   NAME | ORG/NAME (a hub repo)  → `<cache>/models--ORG--NAME/snapshots/<commit>/`
 *
 * `<cache>` is the Hugging Face hub cache shared with Python's huggingface_hub:
 * `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub` (the hub library's
 * `getHFHubCachePath`). A hub repo is read from the cache when a complete snapshot is there
 * (the one `refs/main` names, else any snapshot directory holding all of `MODEL_FILES`), with
 * no network at all. Otherwise only `MODEL_FILES` are fetched with @huggingface/hub: the commit
 * of `main` (`GET /api/models/<repo>/revision/main`), then per file `downloadFileToCacheDir`
 * at that commit (`POST /api/models/<repo>/paths-info/<commit>`, then
 * `GET /<repo>/resolve/<commit>/<file>`), which stores `blobs/<etag>` and links
 * `snapshots/<commit>/<file>` to it; `refs/main` is written last, once every file is there.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { downloadFileToCacheDir, getHFHubCachePath, getRepoFolderName, HubApiError, modelInfo } from '@huggingface/hub';
import { ExtractError } from '../errors';
import { missingModelFiles, MODEL_FILES } from './model-dir';
import { ensureTinyRandom } from './tiny-random';

export interface ResolveOptions {
  /** The hub cache directory; default `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** The hub's base URL; default `$HF_ENDPOINT`, else `https://huggingface.co`. */
  hubUrl?: string;
  /** The fetch to download with (a proxy, a test double); default the global `fetch`. */
  fetch?: typeof fetch;
  /** Use the cache only, never the network; default true when `$HF_HUB_OFFLINE` is `1`. */
  offline?: boolean;
}

/** The hub cache directory used when `cacheDir` is not given. */
export const hubCacheDir = (): string => getHFHubCachePath();

const TINY = /^tiny-random(?::(.*))?$/;
// Hub repo ids: `name` or `org/name`, letters, digits, `-`, `_`, `.`; no `--` or `..` (as the hub rules).
const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const FORMS = 'a directory holding config.json, model.safetensors and tokenizer.json; tiny-random[:SEED]; or a hub repo id such as gpt2 or openai-community/gpt2';

/**
 * The directory holding the model `spec` names, fetching or writing it into the cache if needed.
 * @param spec a directory, `tiny-random[:SEED]`, or a hub repo id
 * @throws ExtractError 'BAD_ARGUMENT' for a spec of none of these forms; 'MODEL_NOT_FOUND' for a
 *   missing path, or a repo neither cached nor downloadable (the message names the files needed
 *   and the snapshot directory to put them in).
 */
export async function resolveModel(spec: string, opts: ResolveOptions = {}): Promise<string> {
  const cacheDir = opts.cacheDir ?? hubCacheDir();
  const tiny = TINY.exec(spec);
  if (tiny) {
    const seed = tiny[1] === undefined ? 0 : /^\d+$/.test(tiny[1]) ? Number(tiny[1]) : NaN;
    if (!Number.isSafeInteger(seed) || seed > 0xffffffff) {
      throw new ExtractError('BAD_ARGUMENT', `model '${spec}': the tiny-random seed must be an integer in [0, 4294967295], e.g. tiny-random:7`);
    }
    return ensureTinyRandom(cacheDir, seed);
  }
  const found = await stat(spec).catch(() => undefined);
  if (found?.isDirectory()) return resolve(spec);
  if (found) throw new ExtractError('MODEL_NOT_FOUND', `model '${spec}' is a file; expected ${FORMS}`);
  if (isAbsolute(spec) || /^[.~]|\\|\/$|\/.*\//.test(spec)) throw new ExtractError('MODEL_NOT_FOUND', `model directory '${resolve(spec)}' does not exist; expected ${FORMS}`);
  if (!HUB_ID.test(spec) || spec.includes('--') || spec.includes('..')) throw new ExtractError('BAD_ARGUMENT', `model '${spec}' is not valid; expected ${FORMS}`);
  return fromHub(spec, cacheDir, opts);
}

async function fromHub(repo: string, cacheDir: string, opts: ResolveOptions): Promise<string> {
  const storage = join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
  const cached = await cachedSnapshot(storage);
  if (cached !== undefined) return cached;
  const hubUrl = (opts.hubUrl ?? process.env['HF_ENDPOINT'] ?? 'https://huggingface.co').replace(/\/+$/, '');
  if (opts.offline ?? process.env['HF_HUB_OFFLINE'] === '1') throw notFound(repo, storage, 'offline mode is on (offline: true or HF_HUB_OFFLINE=1)');
  try {
    return await download(repo, storage, cacheDir, hubUrl, opts.fetch);
  } catch (cause) {
    throw notFound(repo, storage, `it could not be downloaded from ${hubUrl}: ${describe(cause)}`, cause);
  }
}

/** The snapshot `refs/main` points to if complete, else the first complete snapshot by name, else undefined. */
async function cachedSnapshot(storage: string): Promise<string | undefined> {
  const snapshots = join(storage, 'snapshots');
  const main = await readFile(join(storage, 'refs', 'main'), 'utf8').catch(() => undefined);
  const names = await readdir(snapshots).catch(() => [] as string[]);
  const order = main === undefined ? names.sort() : [main.trim(), ...names.sort()];
  for (const name of order) {
    const dir = join(snapshots, name);
    if (name.length > 0 && (await missingModelFiles(dir)).length === 0) return dir;
  }
  return undefined;
}

async function download(repo: string, storage: string, cacheDir: string, hubUrl: string, fetchFn?: typeof fetch): Promise<string> {
  const accessToken = process.env['HF_TOKEN'] || undefined; // gated or private repos
  const info = await modelInfo({ name: repo, hubUrl, fetch: fetchFn, accessToken, revision: 'main', additionalFields: ['sha'] });
  const commit = info.sha;
  if (typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit)) throw new Error(`the hub gave no commit hash for main (got ${JSON.stringify(commit)})`);
  for (const path of MODEL_FILES) {
    try {
      await downloadFileToCacheDir({ repo: { type: 'model', name: repo }, path, revision: commit, cacheDir, hubUrl, fetch: fetchFn, accessToken });
    } catch (cause) {
      throw new Error(`${path}: ${describe(cause)}`, { cause });
    }
  }
  await mkdir(join(storage, 'refs'), { recursive: true });
  await writeFile(join(storage, 'refs', 'main'), commit); // as huggingface_hub: the hash, no newline
  return join(storage, 'snapshots', commit);
}

function describe(cause: unknown): string {
  if (cause instanceof HubApiError) return `HTTP ${cause.statusCode}${cause.message ? ` ${cause.message}` : ''}`;
  const e = cause as Error & { cause?: { code?: string; message?: string } };
  const inner = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(cause)}${inner && !String(e?.message).includes(inner) ? ` (${inner})` : ''}`;
}

function notFound(repo: string, storage: string, reason: string, cause?: unknown): ExtractError {
  const target = join(storage, 'snapshots', 'main') + sep;
  return new ExtractError(
    'MODEL_NOT_FOUND',
    `model '${repo}' is not in the cache and ${reason}. It needs ${MODEL_FILES.join(', ')}: put them in ${target} ` +
      `(found there next time), or download them elsewhere and pass that directory as --model DIR`,
    { cause },
  );
}
