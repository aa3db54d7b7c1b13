import { loadTinyGpt2 } from '../../../test/support/graph-fixture';
import { defaultGpt2Config, gpt2ConfigFromHf, validateGpt2Config } from './config';

const { configJson } = loadTinyGpt2();

describe('gpt2ConfigFromHf', () => {
  test('reads the fixture config.json', () => {
    expect(gpt2ConfigFromHf(configJson)).toEqual({
      nLayer: 2,
      nHead: 2,
      nEmbd: 64,
      nPositions: 128,
      vocabSize: 512,
      layerNormEpsilon: 1e-5,
      activationFunction: 'gelu_new',
      bosTokenId: 511,
    });
  });

  // [case, fields changed (undefined removes), field named in the message]
  test.each<[string, Record<string, unknown>, string]>([
    ['n_layer missing', { n_layer: undefined }, 'n_layer'],
    ['n_head zero', { n_head: 0 }, 'n_head'],
    ['n_embd fractional', { n_embd: 64.5 }, 'n_embd'],
    ['n_embd not a multiple of n_head', { n_head: 3 }, 'n_embd'],
    ['n_positions a string', { n_positions: '128' }, 'n_positions'],
    ['vocab_size missing', { vocab_size: undefined }, 'vocab_size'],
    ['layer_norm_epsilon negative', { layer_norm_epsilon: -1e-5 }, 'layer_norm_epsilon'],
    ['layer_norm_epsilon missing', { layer_norm_epsilon: undefined }, 'layer_norm_epsilon'],
    ['activation_function unknown', { activation_function: 'swiglu' }, 'activation_function'],
    ['activation_function missing', { activation_function: undefined }, 'activation_function'],
    ['bos_token_id past the vocabulary', { bos_token_id: 512 }, 'bos_token_id'],
    ['model_type not gpt2', { model_type: 'llama' }, 'model_type'],
    ['n_inner not 4·n_embd', { n_inner: 100 }, 'n_inner'],
    ['scale_attn_by_inverse_layer_idx', { scale_attn_by_inverse_layer_idx: true }, 'scale_attn_by_inverse_layer_idx'],
    ['reorder_and_upcast_attn', { reorder_and_upcast_attn: true }, 'reorder_and_upcast_attn'],
    ['unscaled attention', { scale_attn_weights: false }, 'scale_attn_weights'],
  ])('%s → BAD_MODEL naming %s', (_case, change, field) => {
    const json = { ...configJson, ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete json[k];
    expect(() => gpt2ConfigFromHf(json)).toThrow(expect.objectContaining({ code: 'BAD_MODEL', message: expect.stringContaining(`'${field}'`) }));
  });

  test('a non-object → BAD_MODEL', () => {
    expect(() => gpt2ConfigFromHf([1, 2])).toThrow(expect.objectContaining({ code: 'BAD_MODEL' }));
  });

  test.each([null, 256])('n_inner %p (4·n_embd or unset) is accepted', (nInner) => {
    expect(gpt2ConfigFromHf({ ...configJson, n_inner: nInner }).nEmbd).toBe(64);
  });
});

test('defaultGpt2Config is GPT-2 small and valid', () => {
  expect(validateGpt2Config(defaultGpt2Config)).toMatchObject({ nLayer: 12, nHead: 12, nEmbd: 768, nPositions: 1024, vocabSize: 50257 });
});
