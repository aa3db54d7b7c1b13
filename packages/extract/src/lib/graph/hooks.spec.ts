import { defaultGpt2Config } from './config';
import { BLOCK_HOOKS, describeHooks, hookDims, hookNames, parseHook } from './hooks';

const tiny = { ...defaultGpt2Config, nLayer: 2, nHead: 2, nEmbd: 64, nPositions: 128, vocabSize: 512, bosTokenId: 511 };

test('hookNames lists the embedding hooks, 12 per block, then ln_final and logits', () => {
  const names = hookNames(tiny);
  expect(names).toHaveLength(2 + 12 * 2 + 2);
  expect(names.slice(0, 4)).toEqual(['hook_embed', 'hook_pos_embed', 'blocks.0.hook_resid_pre', 'blocks.0.attn.hook_q']);
  expect(names.slice(-3)).toEqual(['blocks.1.hook_resid_post', 'ln_final.hook_normalized', 'logits']);
  expect(hookNames(defaultGpt2Config)).toContain('blocks.11.mlp.hook_post');
});

test('describeHooks names every per-block hook once with a layer range', () => {
  expect(describeHooks(defaultGpt2Config)).toBe(
    ['hook_embed', 'hook_pos_embed', ...BLOCK_HOOKS.map((h) => `blocks.{0..11}.${h}`), 'ln_final.hook_normalized', 'logits'].join(', '),
  );
});

// [hook, dims, layer]
test.each<[string, (number | string)[], number]>([
  ['hook_embed', ['batch', 'seq', 64], -1],
  ['hook_pos_embed', ['batch', 'seq', 64], -1],
  ['blocks.0.hook_resid_pre', ['batch', 'seq', 64], 0],
  ['blocks.1.attn.hook_q', ['batch', 'seq', 2, 32], 1],
  ['blocks.1.attn.hook_z', ['batch', 'seq', 2, 32], 1],
  ['blocks.0.attn.hook_pattern', ['batch', 2, 'seq', 'seq'], 0],
  ['blocks.0.mlp.hook_pre', ['batch', 'seq', 256], 0],
  ['blocks.1.hook_resid_post', ['batch', 'seq', 64], 1],
  ['ln_final.hook_normalized', ['batch', 'seq', 64], 2],
  ['logits', ['batch', 'seq', 512], 2],
])('%s: dims %j, layer %d', (hook, dims, layer) => {
  const parsed = parseHook(tiny, hook);
  expect(parsed.layer).toBe(layer);
  expect(hookDims(tiny, parsed)).toEqual(dims);
});

// [hook, message fragment]
test.each([
  ['blocks.5.hook_resid_post', 'is in layer 5 but this model has 2 layers (0..1)'],
  ['blocks.2.hook_resid_pre', 'is in layer 2 but this model has 2 layers (0..1)'],
  ['blocks.0.hook_nonsense', "unknown hook 'blocks.0.hook_nonsense'"],
  ['blocks.01.hook_resid_pre', "unknown hook 'blocks.01.hook_resid_pre'"],
  ['blocks.-1.hook_resid_pre', "unknown hook 'blocks.-1.hook_resid_pre'"],
  ['resid_post', "unknown hook 'resid_post'"],
  ['hook_resid_post', "unknown hook 'hook_resid_post'"],
  ['', "unknown hook ''"],
])('%p → UNKNOWN_HOOK listing the valid names', (hook, fragment) => {
  expect(() => parseHook(tiny, hook)).toThrow(
    expect.objectContaining({ code: 'UNKNOWN_HOOK', message: expect.stringContaining(fragment) }),
  );
  expect(() => parseHook(tiny, hook)).toThrow(/valid hooks: hook_embed, hook_pos_embed, blocks\.\{0\.\.1\}\.hook_resid_pre, .*, blocks\.\{0\.\.1\}\.hook_resid_post, ln_final\.hook_normalized, logits$/);
});
