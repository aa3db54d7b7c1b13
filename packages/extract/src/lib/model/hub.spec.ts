import { createHash } from 'node:crypto';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { catchExtractError } from '../../../test/support/model-errors';
import { startFakeHub, type FakeHub } from '../../../test/support/model-hub-server';
import { resolveModel } from './hub';
import { loadModelDir, MODEL_FILES } from './model-dir';
import { writeTinyRandom } from './tiny-random';

const REPO = 'saestream/tiny-gpt2';
const ENV = ['HF_HUB_CACHE', 'HF_HOME', 'HF_ENDPOINT', 'HF_HUB_OFFLINE', 'HF_TOKEN'] as const;
const savedEnv = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

let tmp: string;
let cache: string;
let source: string;
let hub: FakeHub;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hub-'));
  cache = join(tmp, 'hf-cache');
  source = join(tmp, 'repo');
  await writeTinyRandom(source, 3);
  const partial = join(tmp, 'no-tokenizer');
  await mkdir(partial);
  await copyFile(join(source, 'config.json'), join(partial, 'config.json'));
  await copyFile(join(source, 'model.safetensors'), join(partial, 'model.safetensors'));
  hub = await startFakeHub({ [REPO]: source, 'saestream/no-tokenizer': partial });
  ENV.forEach((k) => delete process.env[k]);
  process.env['HF_HUB_CACHE'] = cache;
  jest.spyOn(console, 'debug').mockImplementation(() => undefined); // @huggingface/hub logs each download
});
afterAll(async () => {
  await hub.close();
  ENV.forEach((k) => (savedEnv[k] === undefined ? delete process.env[k] : (process.env[k] = savedEnv[k])));
  jest.restoreAllMocks();
  await rm(tmp, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const gitBlobSha1 = (bytes: Buffer): string => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

describe('resolveModel: a hub repo, with the hub up', () => {
  it('downloads config.json, model.safetensors and tokenizer.json into the HF cache layout under $HF_HUB_CACHE', async () => {
    const dir = await resolveModel(REPO, { hubUrl: hub.url });
    const storage = join(cache, 'models--saestream--tiny-gpt2');
    const commit = hub.commits.get(REPO) as string;
    expect(dir).toBe(join(storage, 'snapshots', commit));
    expect(await readFile(join(storage, 'refs', 'main'), 'utf8')).toBe(commit);
    for (const file of MODEL_FILES) {
      const bytes = await readFile(join(source, file));
      const blob = file.endsWith('.safetensors') ? sha256(bytes) : gitBlobSha1(bytes); // LFS: sha256; git: blob sha1
      expect((await lstat(join(dir, file))).isSymbolicLink()).toBe(true);
      expect(await readlink(join(dir, file))).toBe(relative(dir, join(storage, 'blobs', blob)));
      expect((await readFile(join(dir, file))).equals(bytes)).toBe(true);
    }
    expect((await readdir(join(storage, 'blobs'))).sort()).toHaveLength(3); // no `.incomplete` left
    expect(hub.requests).toContain(`GET /api/models/${REPO}/revision/main`);
    expect(hub.requests).toContain(`GET /${REPO}/resolve/${commit}/model.safetensors`);

    const model = await loadModelDir(dir);
    expect(model.weights.get('wte.weight')?.shape).toEqual([50257, 64]);
    expect(model.configJson).toMatchObject({ n_layer: 2, saestream_tiny_random: { seed: 3 } });
  });

  it("reports a repo the hub does not have as 'MODEL_NOT_FOUND' with the HTTP status", async () => {
    const e = await catchExtractError(resolveModel('nobody/nothing', { hubUrl: hub.url }));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toContain('HTTP 404');
  });

  it('names the file a repo lacks', async () => {
    const e = await catchExtractError(resolveModel('saestream/no-tokenizer', { hubUrl: hub.url }));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toMatch(/could not be downloaded from .*: tokenizer\.json: /);
  });

  it('makes no request when offline', async () => {
    const before = hub.requests.length;
    const e = await catchExtractError(resolveModel('openai-community/gpt2', { hubUrl: hub.url, offline: true }));
    expect([e.code, e.message]).toEqual(['MODEL_NOT_FOUND', expect.stringContaining('offline mode is on')]);
    expect(hub.requests.length).toBe(before);
  });
});

describe('resolveModel: a hub repo, with the hub gone', () => {
  beforeAll(() => hub.close());

  it('finds the cached snapshot without the network', async () => {
    const before = hub.requests.length;
    const dir = await resolveModel(REPO, { hubUrl: hub.url });
    expect(dir).toBe(join(cache, 'models--saestream--tiny-gpt2', 'snapshots', hub.commits.get(REPO) as string));
    expect((await loadModelDir(dir)).weights.size).toBe(28);
    expect(hub.requests.length).toBe(before);
  });

  it('says which files an uncached repo needs and where to put them, and finds them there next time', async () => {
    const e = await catchExtractError(resolveModel('openai-community/gpt2', { hubUrl: hub.url }));
    const target = join(cache, 'models--openai-community--gpt2', 'snapshots', 'main');
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toContain(`could not be downloaded from ${hub.url}: fetch failed (ECONNREFUSED)`);
    expect(e.message).toContain('config.json, model.safetensors, tokenizer.json');
    expect(e.message).toContain(`put them in ${target}${sep}`);
    expect(e.message).toContain('pass that directory as --model DIR');

    await mkdir(target, { recursive: true });
    await Promise.all(MODEL_FILES.map((f) => copyFile(join(source, f), join(target, f))));
    expect(await resolveModel('openai-community/gpt2', { hubUrl: hub.url })).toBe(target);
  });
});

describe('resolveModel: directories and tiny-random', () => {
  it('returns an existing directory itself, absolute', async () => {
    expect(await resolveModel(source)).toBe(source);
    expect(await resolveModel(relative(process.cwd(), source))).toBe(source);
  });

  it("reports a missing path as 'MODEL_NOT_FOUND' and a malformed spec as 'BAD_ARGUMENT'", async () => {
    for (const spec of ['./no/such/dir', join(tmp, 'absent'), 'a/b/c']) {
      const e = await catchExtractError(resolveModel(spec));
      expect([spec, e.code, e.message]).toEqual([spec, 'MODEL_NOT_FOUND', expect.stringContaining('does not exist')]);
    }
    const file = await catchExtractError(resolveModel(join(source, 'config.json')));
    expect([file.code, file.message]).toEqual(['MODEL_NOT_FOUND', expect.stringContaining('is a file')]);
    for (const spec of ['bad id!', 'a--b', 'tiny-random:x', 'tiny-random:-1', 'tiny-random:4294967296']) {
      const e = await catchExtractError(resolveModel(spec));
      expect([spec, e.code]).toEqual([spec, 'BAD_ARGUMENT']);
    }
  });

  it('writes tiny-random[:SEED] into <cache>/saestream--tiny-random-<SEED> once', async () => {
    const dir = await resolveModel('tiny-random');
    expect(dir).toBe(join(cache, 'saestream--tiny-random-0'));
    expect(await resolveModel('tiny-random:0')).toBe(dir);
    const seven = await resolveModel('tiny-random:7', { cacheDir: join(tmp, 'other-cache') });
    expect(seven).toBe(join(tmp, 'other-cache', 'saestream--tiny-random-7'));
    expect((await loadModelDir(seven)).configJson).toMatchObject({ saestream_tiny_random: { seed: 7 } });
  });
});

describe('resolveModel: the default cache', () => {
  it('uses $HF_HOME/hub when HF_HUB_CACHE is unset', async () => {
    delete process.env['HF_HUB_CACHE'];
    process.env['HF_HOME'] = join(tmp, 'hf-home');
    try {
      expect(await resolveModel('tiny-random:1')).toBe(join(tmp, 'hf-home', 'hub', 'saestream--tiny-random-1'));
    } finally {
      process.env['HF_HUB_CACHE'] = cache;
      delete process.env['HF_HOME'];
    }
  });
});
