import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoError, readSafetensors, writeSafetensors, type Tensor } from '@saestream/io';
import { catchExtractError } from '../../../test/support/model-errors';
import { loadModelDir } from './model-dir';

// The reference GPT-2 (test/fixtures/gpt2-tiny, see shared/fixtures/reference/README.md): 28 F32 tensors, HF names.
const FIXTURE = join(__dirname, '../../../test/fixtures/gpt2-tiny');

let tmp: string;
let reference: Map<string, Tensor>;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'model-dir-'));
  reference = (await readSafetensors(join(FIXTURE, 'model.safetensors'))).tensors;
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

let n = 0;
/** A model directory with the fixture's config, `tensors` as weights, and a stub tokenizer.json. */
async function modelDir(tensors: Map<string, Tensor> | undefined, files: { config?: string; tokenizer?: boolean } = {}): Promise<string> {
  const dir = join(tmp, `m${n++}`);
  await mkdir(dir);
  await writeSafetensors(join(dir, 'model.safetensors'), tensors ?? reference);
  if (files.config !== undefined) await writeFile(join(dir, 'config.json'), files.config);
  else await copyFile(join(FIXTURE, 'config.json'), join(dir, 'config.json'));
  if (files.tokenizer !== false) await writeFile(join(dir, 'tokenizer.json'), '{}');
  return dir;
}

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'F32', shape, data: Float32Array.from(values) });

describe('loadModelDir', () => {
  it('reads config.json and every weight of an HF GPT-2 directory, F32, under its HF name', async () => {
    const dir = await modelDir(undefined);
    const model = await loadModelDir(dir);
    expect(model.dir).toBe(dir);
    expect(model.tokenizerFile).toBe(join(dir, 'tokenizer.json'));
    expect(model.configJson).toEqual(JSON.parse(await readFile(join(FIXTURE, 'config.json'), 'utf8')));
    expect(model.weights.size).toBe(28);
    expect([...model.weights.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [name, t] of reference) {
      const got = model.weights.get(name) as Tensor;
      expect({ name, dtype: got.dtype, shape: got.shape }).toEqual({ name, dtype: 'F32', shape: t.shape });
      expect(got.data).toEqual(t.data);
    }
  });

  it("strips 'transformer.', drops the attn.bias / attn.masked_bias buffers and a tied lm_head", async () => {
    const wrapped = new Map<string, Tensor>([...reference].map(([k, t]) => [`transformer.${k}`, t]));
    for (const i of [0, 1]) {
      wrapped.set(`transformer.h.${i}.attn.bias`, f32([1, 1, 2, 2], [1, 0, 1, 1]));
      wrapped.set(`transformer.h.${i}.attn.masked_bias`, f32([], [-1e4]));
    }
    wrapped.set('lm_head.weight', reference.get('wte.weight') as Tensor);
    const model = await loadModelDir(await modelDir(wrapped));
    expect([...model.weights.keys()].sort()).toEqual([...reference.keys()].sort());
    expect(model.weights.get('h.1.attn.c_attn.bias')?.data).toEqual(reference.get('h.1.attn.c_attn.bias')?.data);
  });

  it('keeps an lm_head that differs from wte (untied)', async () => {
    const wte = reference.get('wte.weight') as Tensor;
    const head = f32(wte.shape, Array.from(wte.data as Float32Array, (x) => x * 2));
    const model = await loadModelDir(await modelDir(new Map([...reference, ['lm_head.weight', head]])));
    expect(model.weights.get('lm_head.weight')?.data).toEqual(head.data);
  });

  it('widens F16 and BF16 weights to F32 exactly', async () => {
    // binary16: 1.5 = 0x3e00, -2 = 0xc000, 2^-14 = 0x0400, 2^-24 = 0x0001 (subnormal), 65504 = 0x7bff
    const half: Tensor = { dtype: 'F16', shape: [5], data: Uint16Array.from([0x3e00, 0xc000, 0x0400, 0x0001, 0x7bff]) };
    // bfloat16 is the top half of a float32: 1.5 = 0x3fc0, -0.15625 = 0xbe20
    const bf16: Tensor = { dtype: 'BF16', shape: [2], data: Uint16Array.from([0x3fc0, 0xbe20]) };
    const model = await loadModelDir(await modelDir(new Map([...reference, ['ln_f.weight', half], ['ln_f.bias', bf16]])));
    expect(model.weights.get('ln_f.weight')).toEqual(f32([5], [1.5, -2, 2 ** -14, 2 ** -24, 65504]));
    expect(model.weights.get('ln_f.bias')).toEqual(f32([2], [1.5, -0.15625]));
  });

  it("names every missing file and the directory ('MODEL_NOT_FOUND')", async () => {
    const dir = await modelDir(undefined, { tokenizer: false });
    await rm(join(dir, 'config.json'));
    const e = await catchExtractError(loadModelDir(dir));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toContain(dir);
    expect(e.message).toMatch(/lacks config\.json, tokenizer\.json;/);

    const absent = await catchExtractError(loadModelDir(join(tmp, 'no-such-dir')));
    expect(absent.code).toBe('MODEL_NOT_FOUND');
    expect(absent.message).toContain('no-such-dir');
  });

  it("reports a corrupt safetensors file as 'BAD_MODEL' with the io error as cause", async () => {
    const dir = await modelDir(undefined);
    const bytes = await readFile(join(dir, 'model.safetensors'));
    await writeFile(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 100)); // truncated data
    const e = await catchExtractError(loadModelDir(dir));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.cause).toBeInstanceOf(IoError);
    expect(e.message).toContain(join(dir, 'model.safetensors'));
    expect(e.message).toMatch(/tensor '[^']+'/); // the tensor whose bytes run past the end
  });

  it("reports config.json that is not a JSON object, a non-float weight, or no wte as 'BAD_MODEL'", async () => {
    const notJson = await catchExtractError(loadModelDir(await modelDir(undefined, { config: '{"n_layer": 2,' })));
    expect([notJson.code, notJson.message]).toEqual(['BAD_MODEL', expect.stringContaining('config.json is not valid JSON')]);
    const array = await catchExtractError(loadModelDir(await modelDir(undefined, { config: '[1]' })));
    expect([array.code, array.message]).toEqual(['BAD_MODEL', expect.stringContaining('must be a JSON object')]);

    const ints = new Map([...reference, ['ln_f.bias', { dtype: 'I64', shape: [1], data: BigInt64Array.from([1n]) } as Tensor]]);
    const int = await catchExtractError(loadModelDir(await modelDir(ints)));
    expect([int.code, int.message]).toEqual(['BAD_MODEL', expect.stringContaining("tensor 'ln_f.bias' has dtype I64")]);

    const noWte = new Map([...reference].filter(([k]) => k !== 'wte.weight'));
    const e = await catchExtractError(loadModelDir(await modelDir(noWte)));
    expect([e.code, e.message]).toEqual(['BAD_MODEL', expect.stringContaining("'wte.weight'")]);
  });
});
