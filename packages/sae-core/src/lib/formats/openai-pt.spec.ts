import { parseTorchStateDict, type Tensor, type TorchStateDict } from '@saestream/io';
import { catchSaeError, D_IN, fixtureBytes, f32Tensor, N_LATENTS, referenceTensors, sameBits, STEMS, transposed } from '../../../test/support/formats';
import { saeFromOpenAiPt, saeFromOpenAiStateDict } from './openai-pt';

const NOTE_TOPK =
  "the file does not record normalize; assumed true as OpenAI's loader does for TopK autoencoders; " +
  'pass normalize=false if this one was trained without the input LayerNorm';

describe.each(STEMS)('%s.pt', (stem) => {
  it('reads every parameter bit for bit as its .tensors.safetensors twin, the decoder transposed to [nLatents, dIn]', async () => {
    const bytes = await fixtureBytes(`${stem}.pt`);
    const { sae } = saeFromOpenAiPt(bytes, { file: `${stem}.pt` });
    const want = await referenceTensors(stem);
    expect(sae.spec).toEqual({ dIn: D_IN, nLatents: N_LATENTS, activation: 'topk', k: 4, normalize: true });
    expect(sae.meta).toEqual({});
    expect(sameBits(sae.params.preBias, want.get('pre_bias')!)).toBe(true);
    expect(sameBits(sae.params.latentBias, want.get('latent_bias')!)).toBe(true);
    expect(sameBits(sae.params.encoder, want.get('encoder.weight')!)).toBe(true);
    // decoder.weight is [dIn, nLatents]; ours is latent-major.
    expect(sameBits(sae.params.decoder, transposed(want.get('decoder.weight')!, D_IN, N_LATENTS))).toBe(true);
    // The parameters are the autoencoder's own, not views of the file's bytes.
    for (const p of Object.values(sae.params)) expect(p.buffer).not.toBe(bytes.buffer);
  });

  it('normalize: assumed true with one note saying so, or exactly as passed without a note', async () => {
    const dict = parseTorchStateDict(await fixtureBytes(`${stem}.pt`));
    const assumed = saeFromOpenAiStateDict(dict);
    expect({ normalize: assumed.sae.spec.normalize, notes: assumed.notes }).toEqual({ normalize: true, notes: [NOTE_TOPK] });
    for (const normalize of [false, true]) {
      const given = saeFromOpenAiStateDict(dict, { normalize });
      expect({ normalize: given.sae.spec.normalize, notes: given.notes }).toEqual({ normalize, notes: [] });
    }
  });
});

describe('saeFromOpenAiStateDict: activations', () => {
  let base: TorchStateDict;
  beforeAll(async () => {
    base = parseTorchStateDict(await fixtureBytes('ae_topk4_norm.pt'));
  });
  /** The fixture with some Python values replaced (undefined deletes). */
  const withValues = (changes: Record<string, unknown>): TorchStateDict => {
    const values = new Map(base.values);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) values.delete(key);
      else values.set(key, value);
    }
    return { tensors: base.tensors, values };
  };

  it("'ReLU': a ReLU autoencoder, normalize assumed false as OpenAI's loader does", () => {
    const { sae, notes } = saeFromOpenAiStateDict(withValues({ activation: 'ReLU' }));
    expect(sae.spec).toEqual({ dIn: D_IN, nLatents: N_LATENTS, activation: 'relu', k: 0, normalize: false });
    expect(notes).toEqual([
      "the file does not record normalize; assumed false as OpenAI's loader does for ReLU autoencoders; pass normalize=true if this one was trained with the input LayerNorm",
    ]);
  });

  it("no 'activation' entry: ReLU, as OpenAI's loader defaults, with a note", () => {
    const { sae, notes } = saeFromOpenAiStateDict(withValues({ activation: undefined }), { normalize: false });
    expect(sae.spec.activation).toBe('relu');
    expect(notes).toEqual(["the file has no 'activation' entry; read as ReLU, as OpenAI's loader does"]);
  });

  it("k from 'activation.k' alone, and from 'activation_state_dict' alone", () => {
    expect(saeFromOpenAiStateDict(withValues({ activation_state_dict: undefined, 'activation.k': 7 })).sae.spec.k).toBe(7);
    const nested = new Map<unknown, unknown>([['k', 9], ['postact_fn', 'ReLU']]);
    const only = withValues({ activation_state_dict: nested, 'activation.k': undefined, 'activation.postact_fn': undefined });
    expect(saeFromOpenAiStateDict(only).sae.spec.k).toBe(9);
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['an activation saestream does not implement', { activation: 'Identity' }, /^'activation' must be one of \[TopK, ReLU\] but got "Identity" \(x\.pt\)$/],
    ['no k anywhere', { activation_state_dict: undefined, 'activation.k': undefined }, /^missing 'activation_state_dict\.k' \(or 'activation\.k'\): a TopK autoencoder needs its k/],
    ['k in two places that disagree', { 'activation.k': 5 }, /^'activation_state_dict\.k' is 4 but 'activation\.k' is 5; they must agree/],
    ['k not an integer', { activation_state_dict: new Map([['k', 'four']]), 'activation.k': undefined }, /^'activation_state_dict\.k' must be an integer but got "four"/],
    ['k of nLatents or more', { activation_state_dict: new Map([['k', 256]]), 'activation.k': undefined }, /'k' must be an integer in \[1, nLatents\) = \[1, 256\) but got 256 \(x\.pt\)$/],
    ['activation_state_dict not a dict', { activation_state_dict: [4] }, /^'activation_state_dict' must be a dict \{k, postact_fn\} but got \[4\]/],
    ['a post-activation other than ReLU', { 'activation.postact_fn': undefined, activation_state_dict: new Map<string, unknown>([['k', 4], ['postact_fn', 'Identity']]) }, /'activation_state_dict\.postact_fn' must be 'ReLU' \(the only one saestream implements\) but got "Identity"/],
  ];
  it.each(cases)('%s: BAD_STATE_DICT', async (_name, changes, message) => {
    const e = await catchSaeError('BAD_STATE_DICT', () => saeFromOpenAiStateDict(withValues(changes), { file: 'x.pt' }));
    expect(e.message).toMatch(message);
  });
});

describe('saeFromOpenAiStateDict: tensors', () => {
  let base: TorchStateDict;
  beforeAll(async () => {
    base = parseTorchStateDict(await fixtureBytes('ae_topk4_norm.pt'));
  });
  const withTensor = (key: string, tensor: Tensor | undefined): TorchStateDict => {
    const tensors = new Map(base.tensors);
    if (tensor) tensors.set(key, tensor);
    else tensors.delete(key);
    return { tensors, values: base.values };
  };

  const cases: [string, string, Tensor | undefined, RegExp][] = [
    ['missing decoder.weight', 'decoder.weight', undefined, /^missing tensor 'decoder\.weight' \[64, 256\]; the tensors are \[pre_bias, latent_bias, stats_last_nonzero, .*encoder\.weight\] \(x\.pt\)$/],
    ['missing encoder.weight', 'encoder.weight', undefined, /^missing tensor 'encoder\.weight' \(\[nLatents, dIn\]\); the tensors are \[/],
    ['missing pre_bias', 'pre_bias', undefined, /^missing tensor 'pre_bias' \[64\]/],
    ['decoder.weight already transposed', 'decoder.weight', f32Tensor([256, 64]), /^tensor 'decoder\.weight' must have shape \[64, 256\] \(\[dIn, nLatents\] from encoder\.weight \[256, 64\]\) but got \[256, 64\] \(x\.pt\)$/],
    ['pre_bias of the wrong length', 'pre_bias', f32Tensor([65]), /^tensor 'pre_bias' must have shape \[64\] \(\[dIn\] from encoder\.weight \[256, 64\]\) but got \[65\]/],
    ['latent_bias of rank 2', 'latent_bias', f32Tensor([1, 256]), /^tensor 'latent_bias' must have shape \[256\] \(\[nLatents\] from encoder\.weight \[256, 64\]\) but got \[1, 256\]/],
    ['encoder.weight not a matrix', 'encoder.weight', f32Tensor([256 * 64]), /^tensor 'encoder\.weight' must be a matrix \[nLatents, dIn\] but got shape \[16384\]/],
    ['integer pre_bias', 'pre_bias', { dtype: 'I64', shape: [64], data: new BigInt64Array(64) }, /^tensor 'pre_bias' must have a dtype in \[F32, F16, BF16\] but got I64/],
  ];
  it.each(cases)('%s: BAD_STATE_DICT naming the key, the expected and the actual', async (_name, key, tensor, message) => {
    const e = await catchSaeError('BAD_STATE_DICT', () => saeFromOpenAiStateDict(withTensor(key, tensor), { file: 'x.pt' }));
    expect(e.message).toMatch(message);
  });

  it('reads BF16 parameters widened exactly to float32', () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => (i - 32) / 8); // exact in bfloat16
    const bits = new Uint16Array(new Uint32Array(values.buffer).map((b) => b >>> 16));
    const { sae } = saeFromOpenAiStateDict(withTensor('pre_bias', { dtype: 'BF16', shape: [64], data: bits }));
    expect(Array.from(sae.params.preBias)).toEqual(Array.from(values));
  });
});
