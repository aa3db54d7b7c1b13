import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { IoError, readSafetensors } from '@saestream/io';
import { catchSaeError, D_IN, fixturePath, N_LATENTS, referenceTensors, sameBits, STEMS, tempDir, transposed } from '../../../test/support/formats';
import type { Sae } from '../sae';
import { loadSae, saveSae } from './sae-files';

const expectSameSae = (got: Sae, want: Sae) => {
  expect({ spec: got.spec, meta: got.meta }).toEqual({ spec: want.spec, meta: want.meta });
  for (const name of ['preBias', 'latentBias', 'encoder', 'decoder'] as const) expect(sameBits(got.params[name], want.params[name])).toBe(true);
};

describe.each(STEMS)('%s: .pt → saveSae → loadSae', (stem) => {
  it('loads the .pt (format, files, the normalize note) and saves a SAELens directory that loads back bit for bit', async () => {
    const pt = fixturePath(`${stem}.pt`);
    const loaded = await loadSae(pt);
    expect({ format: loaded.format, files: loaded.files, notes: loaded.notes.length }).toEqual({ format: 'openai-pt', files: [pt], notes: 1 });
    expect(loaded.notes[0]).toMatch(/^the file does not record normalize; assumed true/);

    const dir = path.join(await tempDir('save'), 'out'); // made by saveSae
    const saved = await saveSae(dir, loaded.sae);
    expect(saved).toMatchObject({
      weightsFile: path.join(dir, 'sae_weights.safetensors'),
      cfgFile: path.join(dir, 'cfg.json'),
      shapes: { W_enc: [64, 256], W_dec: [256, 64], b_enc: [256], b_dec: [64] },
    });
    expect((await readdir(dir)).sort()).toEqual(['cfg.json', 'sae_weights.safetensors']);
    expect(JSON.parse(await readFile(saved.cfgFile, 'utf8'))).toEqual(saved.cfg);

    // The weights file, checked against the fixture's own tensors rather than our writer.
    const { tensors } = await readSafetensors(saved.weightsFile);
    const want = await referenceTensors(stem);
    expect(sameBits(tensors.get('W_enc')!.data, transposed(want.get('encoder.weight')!, N_LATENTS, D_IN))).toBe(true);
    expect(sameBits(tensors.get('b_dec')!.data, want.get('pre_bias')!)).toBe(true);

    const back = await loadSae(dir);
    expect({ format: back.format, files: back.files, notes: back.notes }).toEqual({ format: 'saelens', files: [saved.weightsFile, saved.cfgFile], notes: [] });
    expectSameSae(back.sae, loaded.sae);
  });
});

describe('loadSae: SAELens paths and normalize', () => {
  let dir: string;
  let original: Sae;
  beforeAll(async () => {
    original = (await loadSae(fixturePath('ae_topk4_nonorm.pt'), { normalize: false })).sae;
    dir = path.join(await tempDir('lens'), 'sae');
    await saveSae(dir, original);
  });

  it('takes the weights file itself, with cfg.json beside it', async () => {
    const file = path.join(dir, 'sae_weights.safetensors');
    const loaded = await loadSae(file);
    expect(loaded.files).toEqual([file, path.join(dir, 'cfg.json')]);
    expectSameSae(loaded.sae, original);
  });

  it('takes a directory whose weights are named sae.safetensors', async () => {
    const other = path.join(await tempDir('old-name'), 'sae');
    await mkdir(other);
    await copyFile(path.join(dir, 'cfg.json'), path.join(other, 'cfg.json'));
    await copyFile(path.join(dir, 'sae_weights.safetensors'), path.join(other, 'sae.safetensors'));
    expectSameSae((await loadSae(other)).sae, original);
  });

  it('normalize given: overrides the file with a note when it differs, silently when it agrees', async () => {
    const flipped = await loadSae(dir, { normalize: true });
    expect(flipped.sae.spec.normalize).toBe(true);
    expect(flipped.notes).toEqual(["normalize=true as asked, overriding cfg.json's normalize=false"]);
    expect((await loadSae(dir, { normalize: false })).notes).toEqual([]);
  });

  it('saveSae over an existing directory replaces both files', async () => {
    const again = { ...original, meta: { hookName: 'blocks.0.hook_resid_post' } };
    await saveSae(dir, again);
    expect((await loadSae(dir)).sae.meta).toEqual({ hookName: 'blocks.0.hook_resid_post' });
    await saveSae(dir, original);
  });
});

describe('loadSae: paths that are not an autoencoder', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('bad');
  });

  it('a path that does not exist: BAD_ARGUMENT saying what was expected', async () => {
    const e = await catchSaeError('BAD_ARGUMENT', () => loadSae(path.join(root, 'nope.pt')));
    expect(e.message).toBe(
      `'${path.join(root, 'nope.pt')}' does not exist; expected a .pt file, a .safetensors file with cfg.json beside it, or a directory holding sae_weights.safetensors and cfg.json`,
    );
  });

  it('a directory without cfg.json, and an empty one: BAD_ARGUMENT listing what was looked for and found', async () => {
    const lone = path.join(root, 'lone');
    await mkdir(lone);
    expect((await catchSaeError('BAD_ARGUMENT', () => loadSae(lone))).message).toBe(
      `directory '${lone}' is not a SAELens autoencoder: looked for sae_weights.safetensors or sae.safetensors and cfg.json, it is empty`,
    );
    await copyFile(fixturePath('ae_topk4_norm.tensors.safetensors'), path.join(lone, 'sae_weights.safetensors'));
    await writeFile(path.join(lone, 'notes.txt'), '');
    expect((await catchSaeError('BAD_ARGUMENT', () => loadSae(lone))).message).toMatch(/and cfg\.json, it holds \[notes\.txt, sae_weights\.safetensors\]$/);
  });

  it('a .safetensors file with no cfg.json beside it, and an unknown extension: BAD_ARGUMENT', async () => {
    const file = path.join(root, 'lone', 'sae_weights.safetensors');
    expect((await catchSaeError('BAD_ARGUMENT', () => loadSae(file))).message).toMatch(
      new RegExp(`^'${file}' is a safetensors file with no cfg\\.json beside it \\(looked for '${path.join(root, 'lone', 'cfg.json')}'\\)`),
    );
    const bin = path.join(root, 'weights.bin');
    await writeFile(bin, 'x');
    expect((await catchSaeError('BAD_ARGUMENT', () => loadSae(bin))).message).toMatch(/^'.*weights\.bin' has extension '\.bin'; expected a \.pt file/);
  });

  it('cfg.json that is not JSON, or lacks a field: BAD_STATE_DICT naming the file', async () => {
    const dir = path.join(root, 'lone');
    const cfg = path.join(dir, 'cfg.json');
    await writeFile(cfg, '{"architecture": ');
    expect((await catchSaeError('BAD_STATE_DICT', () => loadSae(dir))).message).toMatch(new RegExp(`^cfg\\.json is not valid JSON: .* \\(${cfg}\\)$`));
    await writeFile(cfg, JSON.stringify({ architecture: 'topk', d_in: 64, k: 4 }));
    expect((await catchSaeError('BAD_STATE_DICT', () => loadSae(dir))).message).toBe(`cfg.json lacks 'd_sae' (a positive integer) (${cfg})`);
    // The twin holds OpenAI names, not SAELens ones: the tensor error names the weights file.
    await writeFile(cfg, JSON.stringify({ architecture: 'topk', d_in: 64, d_sae: 256, k: 4 }));
    expect((await catchSaeError('BAD_STATE_DICT', () => loadSae(dir))).message).toMatch(/^missing tensor 'W_enc' \[64, 256\]; the tensors are \[.*\] \(.*sae_weights\.safetensors\)$/);
  });

  it('a .pt file that is not a torch zip: the IoError from io passes through', async () => {
    const pt = path.join(root, 'garbage.pt');
    await writeFile(pt, 'not a zip file at all, just text');
    await expect(loadSae(pt)).rejects.toBeInstanceOf(IoError);
  });
});
