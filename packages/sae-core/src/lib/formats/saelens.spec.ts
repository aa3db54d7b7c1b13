import { parseSafetensors, serializeSafetensors, type Tensor } from '@saestream/io';
import { catchSaeError, D_IN, fixtureBytes, f32Tensor, N_LATENTS, referenceTensors, sameBits, STEMS, transposed } from '../../../test/support/formats';
import type { Sae } from '../sae';
import { saeFromOpenAiPt } from './openai-pt';
import { saeFromSaeLens, saeToSaeLens } from './saelens';

const loadFixture = async (stem: string, normalize?: boolean): Promise<Sae> =>
  saeFromOpenAiPt(await fixtureBytes(`${stem}.pt`), { normalize }).sae;

const META = { modelName: 'gpt2', hookName: 'blocks.6.hook_resid_post', contextSize: 64, prependBos: true, datasetPath: 'Skylion007/openwebtext' };

describe.each(STEMS)('saeToSaeLens(%s)', (stem) => {
  const normalize = stem === 'ae_topk4_norm';

  it('maps b_dec = pre_bias, b_enc = latent_bias, W_enc = encoder.weightᵀ, W_dec = decoder.weightᵀ, bit for bit', async () => {
    const { tensors } = saeToSaeLens(await loadFixture(stem));
    const want = await referenceTensors(stem);
    expect(Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, [t.dtype, t.shape]]))).toEqual({
      W_enc: ['F32', [D_IN, N_LATENTS]],
      W_dec: ['F32', [N_LATENTS, D_IN]],
      b_enc: ['F32', [N_LATENTS]],
      b_dec: ['F32', [D_IN]],
    });
    expect(sameBits(tensors.b_dec.data, want.get('pre_bias')!)).toBe(true);
    expect(sameBits(tensors.b_enc.data, want.get('latent_bias')!)).toBe(true);
    expect(sameBits(tensors.W_enc.data, transposed(want.get('encoder.weight')!, N_LATENTS, D_IN))).toBe(true);
    expect(sameBits(tensors.W_dec.data, transposed(want.get('decoder.weight')!, D_IN, N_LATENTS))).toBe(true);
  });

  it('writes the cfg.json fields SAELens reads, and our exact normalize', async () => {
    const sae = await loadFixture(stem, normalize);
    expect(saeToSaeLens(sae).cfg).toEqual({
      architecture: 'topk',
      d_in: 64,
      d_sae: 256,
      k: 4,
      activation_fn_kwargs: { k: 4 },
      normalize_activations: normalize ? 'layer_norm' : 'none',
      apply_b_dec_to_input: true,
      dtype: 'float32',
      device: 'cpu',
      saestream: { normalize_openai: normalize, version: 1 },
    });
    const cfg = saeToSaeLens({ ...sae, meta: META }).cfg;
    expect(cfg).toMatchObject({ model_name: 'gpt2', hook_name: 'blocks.6.hook_resid_post', context_size: 64, prepend_bos: true, dataset_path: 'Skylion007/openwebtext' });
  });

  it('round trips through safetensors bytes and cfg JSON text bit for bit', async () => {
    const sae = { ...(await loadFixture(stem, normalize)), meta: META };
    const { tensors, cfg } = saeToSaeLens(sae);
    const back = saeFromSaeLens(parseSafetensors(serializeSafetensors(tensors)).tensors, JSON.parse(JSON.stringify(cfg)));
    expect({ spec: back.spec, meta: back.meta }).toEqual({ spec: sae.spec, meta: sae.meta });
    for (const name of ['preBias', 'latentBias', 'encoder', 'decoder'] as const) expect(sameBits(back.params[name], sae.params[name])).toBe(true);
  });
});

describe('saeFromSaeLens: cfg.json layouts', () => {
  let tensors: Record<string, Tensor>;
  beforeAll(async () => {
    tensors = saeToSaeLens(await loadFixture('ae_topk4_norm')).tensors;
  });
  const base = { architecture: 'topk', d_in: 64, d_sae: 256, k: 4, normalize_activations: 'layer_norm' };

  const layouts: [string, Record<string, unknown>, Partial<Sae['spec']>, Sae['meta']][] = [
    ['SAELens 6: k at the top, metadata under meta', { ...base, meta: { model_name: 'gpt2', hook_name: 'h', context_size: null } }, { activation: 'topk', k: 4, normalize: true }, { modelName: 'gpt2', hookName: 'h' }],
    ['SAELens 6 tests: metadata under metadata', { ...base, metadata: { dataset_path: 'd', prepend_bos: false } }, { k: 4 }, { datasetPath: 'd', prependBos: false }],
    ['SAELens 5 TopK: standard + activation_fn_str topk', { ...base, architecture: 'standard', k: undefined, activation_fn_str: 'topk', activation_fn_kwargs: { k: 6 } }, { activation: 'topk', k: 6 }, {}],
    ['standard: ReLU', { ...base, architecture: 'standard', k: undefined }, { activation: 'relu', k: 0 }, {}],
    ['no normalize_activations: none', { ...base, normalize_activations: undefined }, { normalize: false }, {}],
    ['SAELens < 3: normalize_activations false', { ...base, normalize_activations: false }, { normalize: false }, {}],
    ['our record wins over normalize_activations', { ...base, normalize_activations: 'none', saestream: { normalize_openai: true, version: 1 } }, { normalize: true }, {}],
  ];
  it.each(layouts)('%s', (_name, cfg, spec, meta) => {
    const sae = saeFromSaeLens(tensors, cfg);
    expect(sae.spec).toMatchObject({ dIn: 64, nLatents: 256, ...spec });
    expect(sae.meta).toEqual(meta);
  });

  const errors: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown architecture', { ...base, architecture: 'jumprelu' }, /^cfg\.json 'architecture' must be one of \[topk, standard\] but got "jumprelu" \(cfg\.json\)$/],
    ['a normalization saestream does not implement', { ...base, normalize_activations: 'constant_norm_rescale' }, /^cfg\.json 'normalize_activations' must be one of \[layer_norm, none\] \(saestream implements no other\) but got "constant_norm_rescale"/],
    ['no k', { ...base, k: undefined }, /^cfg\.json lacks 'k' \(or 'activation_fn_kwargs\.k'\)/],
    ['two k that disagree', { ...base, activation_fn_kwargs: { k: 5 } }, /^cfg\.json 'k' is 4 but 'activation_fn_kwargs\.k' is 5; they must agree/],
    ['k not an integer', { ...base, k: 4.5 }, /^cfg\.json 'k' must be an integer but got 4\.5/],
    ['k of d_sae or more', { ...base, k: 256 }, /'k' must be an integer in \[1, nLatents\) = \[1, 256\) but got 256 \(cfg\.json\)$/],
    ['no d_in', { ...base, d_in: undefined }, /^cfg\.json lacks 'd_in' \(a positive integer\)/],
    ['d_in as text', { ...base, d_in: '64' }, /^cfg\.json 'd_in' must be a positive integer but got "64"/],
    ['b_dec not subtracted from the input', { ...base, apply_b_dec_to_input: false }, /^cfg\.json 'apply_b_dec_to_input' must be true/],
    ['a malformed saestream record', { ...base, saestream: { normalize_openai: 'yes', version: 1 } }, /^cfg\.json 'saestream' must be \{"normalize_openai": true\|false, "version": 1\} but got/],
    ['metadata of the wrong type', { ...base, hook_name: 6 }, /^cfg\.json 'hook_name' must be a string but got 6/],
    ['d_sae that the tensors do not have', { ...base, d_sae: 128, k: 4 }, /^tensor 'W_enc' must have shape \[64, 128\] \(\[d_in, d_sae\], d_in=64, d_sae=128 in cfg\.json\) but got \[64, 256\] \(w\.safetensors\)$/],
  ];
  it.each(errors)('%s: BAD_STATE_DICT', async (_name, cfg, message) => {
    const e = await catchSaeError('BAD_STATE_DICT', () => saeFromSaeLens(tensors, cfg, { weightsFile: 'w.safetensors', cfgFile: 'cfg.json' }));
    expect(e.message).toMatch(message);
  });

  it('a cfg that is not an object, and missing or misshapen tensors: BAD_STATE_DICT', async () => {
    expect((await catchSaeError('BAD_STATE_DICT', () => saeFromSaeLens(tensors, [1]))).message).toBe('cfg.json must be a JSON object but got [1]');
    const noBias = Object.fromEntries(Object.entries(tensors).filter(([name]) => name !== 'b_dec'));
    expect((await catchSaeError('BAD_STATE_DICT', () => saeFromSaeLens(noBias, base))).message).toBe("missing tensor 'b_dec' [64]; the tensors are [W_enc, W_dec, b_enc]");
    const transposedDecoder = { ...tensors, W_dec: f32Tensor([64, 256]) };
    expect((await catchSaeError('BAD_STATE_DICT', () => saeFromSaeLens(transposedDecoder, base))).message).toBe(
      "tensor 'W_dec' must have shape [256, 64] ([d_sae, d_in], d_in=64, d_sae=256 in cfg.json) but got [64, 256]",
    );
  });
});
