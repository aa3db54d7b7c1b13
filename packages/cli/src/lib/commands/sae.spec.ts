import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { readSafetensors } from '@saestream/io';
import { runCli, tempDir } from '../../../test/support/shards';
import type { SaeSummary } from '../sae-summary';
import { saeConvert } from './sae-convert';
import { saeInfo } from './sae-info';

/** The OpenAI fixture autoencoders (256 latents over 64 inputs, TopK k=4); see sae-core's test/fixtures. */
const FIXTURES = path.join(__dirname, '../../../../sae-core/test/fixtures');
const PT = path.join(FIXTURES, 'ae_topk4_norm.pt');
const NOTE = "note: the file does not record normalize; assumed true as OpenAI's loader does for TopK autoencoders; pass normalize=false if this one was trained without the input LayerNorm";

const info = (...args: string[]) => runCli(['sae', 'info', ...args]);
const convert = (...args: string[]) => runCli(['sae', 'convert', ...args]);
const infoJson = async (...args: string[]): Promise<SaeSummary> => {
  const r = await info(...args, '--json');
  expect({ status: r.status, err: r.err }).toEqual({ status: 0, err: '' });
  return JSON.parse(r.out) as SaeSummary;
};

/** A usage or data failure: nothing on stdout, exactly one `saestream: ` line on stderr. */
function expectOneLineError(r: { status: number; out: string; err: string }, status: number, message: RegExp): void {
  expect({ status: r.status, out: r.out }).toEqual({ status, out: '' });
  expect(r.err).toMatch(/^saestream: [^\n]*\n$/);
  expect(r.err).toMatch(message);
}

/** min, max, mean (float64 sum) of values, computed here rather than by the command. */
function stats(values: Float32Array) {
  let sum = 0;
  values.forEach((x) => (sum += x));
  return { min: Math.min(...values), max: Math.max(...values), mean: sum / values.length };
}

describe('sae info on an OpenAI .pt file', () => {
  it('--json: the spec, the note, and each parameter with statistics computed from the fixture tensors', async () => {
    const s = await infoJson(PT);
    const { tensors } = await readSafetensors(path.join(FIXTURES, 'ae_topk4_norm.tensors.safetensors'));
    const f32 = (name: string) => tensors.get(name)!.data as Float32Array;
    expect({ path: s.path, format: s.format, files: s.files, spec: s.spec, meta: s.meta, notes: s.notes }).toEqual({
      path: PT,
      format: 'openai-pt',
      files: [PT],
      spec: { dIn: 64, nLatents: 256, activation: 'topk', k: 4, normalize: true },
      meta: {},
      notes: [NOTE.slice('note: '.length)],
    });
    const expected: [keyof SaeSummary['parameters'], string, number[]][] = [
      ['preBias', 'pre_bias', [64]],
      ['latentBias', 'latent_bias', [256]],
      ['encoder', 'encoder.weight', [256, 64]],
      ['decoder', 'decoder.weight', [256, 64]], // latent-major: decoder.weight [64, 256] transposed
    ];
    for (const [ours, openai, shape] of expected) {
      const want = stats(f32(openai));
      const got = s.parameters[ours];
      expect({ ours, shape: got.shape, min: got.min, max: got.max }).toEqual({ ours, shape, min: want.min, max: want.max });
      expect(got.mean).toBeCloseTo(want.mean, 12); // the decoder is summed in another order
    }
    // Decoder norms: the columns of decoder.weight [64, 256].
    const w = f32('decoder.weight');
    const norms = Array.from({ length: 256 }, (_, l) => Math.sqrt(Array.from({ length: 64 }, (_, i) => w[i * 256 + l] ** 2).reduce((a, b) => a + b)));
    expect(s.decoderNorms.min).toBeCloseTo(Math.min(...norms), 12);
    expect(s.decoderNorms.max).toBeCloseTo(Math.max(...norms), 12);
  });

  it('text: spec lines, one table row per parameter, the decoder norms and the note', async () => {
    const r = await info(PT);
    expect({ status: r.status, err: r.err }).toEqual({ status: 0, err: '' });
    const lines = r.out.trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual([
      `${PT} (openai-pt)`,
      '  d_in        64',
      '  n_latents   256',
      '  activation  topk (k=4)',
      "  normalize   true (OpenAI's input LayerNorm)",
      'parameters (latent-major, as saestream holds them):',
    ]);
    expect(lines[6]).toMatch(/^ {2}name\s+shape\s+min\s+max\s+mean$/);
    const s = await infoJson(PT);
    const num = (x: number) => String(Number(x.toPrecision(6)));
    (['preBias', 'latentBias', 'encoder', 'decoder'] as const).forEach((name, i) => {
      const p = s.parameters[name];
      expect(lines[7 + i].split(/\s{2,}/).slice(1)).toEqual([name, `[${p.shape.join(', ')}]`, num(p.min), num(p.max), num(p.mean)]);
    });
    expect(lines.slice(11)).toEqual([`decoder norms per latent: min ${num(s.decoderNorms.min)}, max ${num(s.decoderNorms.max)}`, NOTE]);
  });

  it('--normalize false: as given, with no note', async () => {
    const s = await infoJson(PT, '--normalize', 'false');
    expect({ normalize: s.spec.normalize, notes: s.notes }).toEqual({ normalize: false, notes: [] });
    expect((await info(PT, '--normalize=false')).out).not.toContain('note:');
  });
});

describe('sae convert', () => {
  it('.pt → SAELens directory; sae info of the directory shows the same numbers', async () => {
    const out = path.join(await tempDir('sae'), 'converted');
    const r = await convert(PT, out);
    expect({ status: r.status, err: r.err }).toEqual({ status: 0, err: '' });
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`read ${PT} (openai-pt): d_in 64, n_latents 256, topk k=4, normalize true`);
    expect(lines[1]).toBe(NOTE);
    expect(lines[2]).toMatch(new RegExp(`^wrote ${out}/sae_weights\\.safetensors \\(\\d+ bytes\\): W_enc \\[64, 256\\], W_dec \\[256, 64\\], b_enc \\[256\\], b_dec \\[64\\]$`));
    expect(lines.slice(3)).toEqual([`wrote ${out}/cfg.json: architecture topk, k 4, normalize_activations layer_norm`]);

    const [fromPt, fromDir] = [await infoJson(PT), await infoJson(out)];
    expect(fromDir).toEqual({ ...fromPt, path: out, format: 'saelens', files: [path.join(out, 'sae_weights.safetensors'), path.join(out, 'cfg.json')], notes: [] });
    // The text tables agree line for line too.
    const table = (text: string) => text.split('\n').filter((l) => l.startsWith('  ') || l.startsWith('decoder norms'));
    expect(table((await info(out)).out)).toEqual(table((await info(PT)).out));
  });

  it('--normalize false: written to cfg.json as normalize_activations none, and read back so', async () => {
    const out = path.join(await tempDir('sae'), 'nonorm');
    const r = await convert(path.join(FIXTURES, 'ae_topk4_nonorm.pt'), out, '--normalize', 'false');
    expect(r.out).not.toContain('note:');
    expect(r.out).toContain('normalize_activations none\n');
    expect((await infoJson(out)).spec).toMatchObject({ normalize: false });
  });
});

describe('sae info and sae convert: command line and file errors', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('sae-bad');
    await writeFile(path.join(root, 'garbage.pt'), 'not a torch zip');
    await mkdir(path.join(root, 'no-cfg'));
    await writeFile(path.join(root, 'no-cfg', 'sae_weights.safetensors'), '');
    await mkdir(path.join(root, 'jumprelu'));
    await runCli(['sae', 'convert', PT, path.join(root, 'jumprelu')]);
    await writeFile(path.join(root, 'jumprelu', 'cfg.json'), JSON.stringify({ architecture: 'jumprelu', d_in: 64, d_sae: 256 }));
  });

  const cases: [string, () => string[], number, RegExp][] = [
    ['info: missing FILE', () => ['info'], 2, /^saestream: missing FILE; usage: saestream sae info FILE \[--normalize true\|false\] \[--json\]\n$/],
    ['info: a second positional', () => ['info', PT, 'extra'], 2, /unexpected argument 'extra'; usage: /],
    ['info: --normalize not a boolean', () => ['info', PT, '--normalize', 'yes'], 2, /'--normalize' must be one of \[true, false\] but got 'yes'/],
    ['info: an unknown flag', () => ['info', PT, '--head', '3'], 2, /unknown flag '--head' for 'sae info'; the flags are \[--normalize true\|false, --json, --help\]/],
    ['convert: missing OUT', () => ['convert', PT], 2, /^saestream: missing OUT; usage: saestream sae convert IN OUT \[--normalize true\|false\]\n$/],
    ['info: a file that does not exist', () => ['info', path.join(root, 'nope.pt')], 1, /^saestream: '.*nope\.pt' does not exist; expected a \.pt file, a \.safetensors file with cfg\.json beside it, or a directory holding sae_weights\.safetensors and cfg\.json\n$/],
    ['info: a .pt file that is not a torch zip', () => ['info', path.join(root, 'garbage.pt')], 1, /^saestream: .*\(.*garbage\.pt\)\n$/],
    ['info: a directory without cfg.json', () => ['info', path.join(root, 'no-cfg')], 1, /is not a SAELens autoencoder: looked for sae_weights\.safetensors or sae\.safetensors and cfg\.json, it holds \[sae_weights\.safetensors\]/],
    ['convert: an unknown architecture', () => ['convert', path.join(root, 'jumprelu'), path.join(root, 'out')], 1, /^saestream: cfg\.json 'architecture' must be one of \[topk, standard\] but got "jumprelu" \(.*cfg\.json\)\n$/],
  ];
  it.each(cases)('%s', async (_name, args, status, message) => {
    expectOneLineError(await runCli(['sae', ...args()]), status, message);
  });

  it('convert to an OUT that is a file: what was read, then one error line, exit 1', async () => {
    const out = path.join(root, 'garbage.pt');
    const r = await convert(PT, out);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^read .*\(openai-pt\)/);
    expect(r.out).not.toContain('wrote');
    expect(r.err).toBe(`saestream: cannot make the directory '${out}': EEXIST: file already exists, mkdir '${out}'\n`);
  });

  it.each([
    ['info', saeInfo.help],
    ['convert', saeConvert.help],
  ])('sae %s --help prints its help and exits 0', async (name, help) => {
    expect(await runCli(['sae', name, '--help'])).toEqual({ status: 0, out: help, err: '' });
    expect(help).toMatch(new RegExp(`^Usage: saestream sae ${name} `));
  });
});
