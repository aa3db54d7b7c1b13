import type { Tensor } from '@saestream/io';
import { loadTinyGpt2 } from '../../../test/support/graph-fixture';
import { ModelSummary, readModel } from '../../../test/support/graph-onnx-reader';
import { buildGpt2Graph } from './gpt2-graph';

const { config, weights } = loadTinyGpt2();
const graphOf = (hooks: string[], w: Map<string, Tensor> = weights): ModelSummary['graph'] => readModel(buildGpt2Graph({ config, weights: w }, hooks)).graph;
const nodeNames = (g: ModelSummary['graph']) => g.nodes.map((n) => n.name);
const blocksIn = (g: ModelSummary['graph']) => [...new Set(nodeNames(g).flatMap((n) => /^blocks\.(\d+)\./.exec(n)?.[1] ?? []))].map(Number);

test('the model header: IR 8, default-domain opset 17, input_ids int64 [batch, seq]', () => {
  const m = readModel(buildGpt2Graph({ config, weights }, ['logits']));
  expect(m.irVersion).toBe(8);
  expect(m.opsets).toEqual([{ domain: '', version: 17 }]);
  expect(m.graph.inputs).toEqual([{ name: 'input_ids', elemType: 7, dims: ['batch', 'seq'] }]);
});

test('outputs are exactly the requested hooks, in order, with symbolic batch and seq', () => {
  const g = graphOf(['logits', 'blocks.0.attn.hook_pattern', 'hook_embed', 'blocks.1.attn.hook_z']);
  expect(g.outputs).toEqual([
    { name: 'logits', elemType: 1, dims: ['batch', 'seq', 512] },
    { name: 'blocks.0.attn.hook_pattern', elemType: 1, dims: ['batch', 2, 'seq', 'seq'] },
    { name: 'hook_embed', elemType: 1, dims: ['batch', 'seq', 64] },
    { name: 'blocks.1.attn.hook_z', elemType: 1, dims: ['batch', 'seq', 2, 32] },
  ]);
});

describe('only what the hooks need is built', () => {
  // [hooks, blocks with nodes, has the unembedding, initializers that must be absent]
  test.each<[string[], number[], boolean, RegExp]>([
    [['hook_embed'], [], false, /^(wpe|h\.|ln_f)/],
    [['hook_pos_embed'], [], false, /^(h\.|ln_f)/],
    [['blocks.0.hook_resid_pre'], [0], false, /^(h\.|ln_f)/], // its one node, embed + pos, is named in block 0
    [['blocks.0.attn.hook_pattern'], [0], false, /^(h\.0\.(attn\.c_proj|ln_2|mlp)|h\.1\.|ln_f)/],
    [['blocks.0.hook_resid_post'], [0], false, /^(h\.1\.|ln_f)/],
    [['blocks.1.hook_resid_pre'], [0, 1], false, /^(h\.1\.|ln_f)/],
    [['blocks.1.hook_resid_post'], [0, 1], false, /^ln_f/],
    [['logits'], [0, 1], true, /^ln_final\.(ones|zeros)$/],
    [['ln_final.hook_normalized'], [0, 1], false, /^(ln_f\.)/],
  ])('%j → blocks %j, unembedding %p', (hooks, blocks, unembed, absent) => {
    const g = graphOf(hooks);
    expect(blocksIn(g)).toEqual(blocks);
    expect(nodeNames(g).includes('unembed.gemm')).toBe(unembed);
    expect(g.initializers.map((t) => t.name).filter((n) => absent.test(n))).toEqual([]);
  });

  test('blocks.0.hook_resid_post is the blocks.1.hook_resid_post graph less every layer-1 node', () => {
    const one = nodeNames(graphOf(['blocks.0.hook_resid_post']));
    const two = nodeNames(graphOf(['blocks.1.hook_resid_post']));
    expect(one.some((n) => n.startsWith('blocks.1.'))).toBe(false);
    expect(one).toEqual(two.filter((n) => !n.startsWith('blocks.1.')));
    // 34 nodes a block: LN 2, linear 4 × 2, attention 14 (split, 3 reshape, 3 transpose, qk, scale,
    // mask, softmax, pv, transpose, reshape), GELU 8, residual adds 2; block 0 also holds embed + pos.
    const perBlock = (names: string[], l: number) => names.filter((n) => n.startsWith(`blocks.${l}.`)).length;
    expect([perBlock(two, 0), perBlock(two, 1)]).toEqual([35, 34]);
    expect(one.length).toBe(two.length - perBlock(two, 1));
  });

  test('blocks.1.hook_resid_pre past layer 0 is an Identity of blocks.0.hook_resid_post', () => {
    const g = graphOf(['blocks.1.hook_resid_pre']);
    expect(g.nodes.filter((n) => n.name.startsWith('blocks.1.')).map((n) => [n.opType, n.inputs])).toEqual([['Identity', ['blocks.0.hook_resid_post']]]);
  });
});

describe('errors', () => {
  const replaced = (name: string, t: Tensor | undefined) => {
    const w = new Map(weights);
    if (t) w.set(name, t);
    else w.delete(name);
    return w;
  };
  const f32 = (shape: number[]): Tensor => ({ dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

  // [case, weight, replacement (undefined: removed), hooks, message]
  test.each<[string, string, Tensor | undefined, string[], string]>([
    ['c_attn transposed', 'h.0.attn.c_attn.weight', f32([192, 64]), ['blocks.0.hook_resid_post'], "weight 'h.0.attn.c_attn.weight' has shape [192,64] but the config implies [64,192]"],
    ['c_proj bias too short', 'h.1.mlp.c_proj.bias', f32([63]), ['blocks.1.hook_resid_post'], "weight 'h.1.mlp.c_proj.bias' has shape [63] but the config implies [64]"],
    ['wpe shorter than n_positions', 'wpe.weight', f32([64, 64]), ['hook_pos_embed'], "weight 'wpe.weight' has shape [64,64] but the config implies [128,64]"],
    ['wte of another vocabulary', 'wte.weight', f32([500, 64]), ['hook_embed'], "weight 'wte.weight' has shape [500,64] but the config implies [512,64]"],
    ['ln_f.bias missing', 'ln_f.bias', undefined, ['logits'], "weight 'ln_f.bias' is missing: expected shape [64]"],
    ['an integer weight', 'h.0.ln_1.weight', { dtype: 'I32', shape: [64], data: new Int32Array(64) }, ['blocks.0.hook_resid_mid'], "weight 'h.0.ln_1.weight' has dtype I32"],
  ])('%s → BAD_MODEL naming it', (_case, name, tensor, hooks, message) => {
    expect(() => buildGpt2Graph({ config, weights: replaced(name, tensor) }, hooks)).toThrow(
      expect.objectContaining({ code: 'BAD_MODEL', message: expect.stringContaining(message) }),
    );
  });

  test('a weight of a layer no hook needs is not read', () => {
    expect(() => graphOf(['blocks.0.hook_resid_post'], replaced('h.1.attn.c_attn.weight', undefined))).not.toThrow();
  });

  // [hooks, code, message]
  test.each<[string[], string, RegExp]>([
    [['blocks.5.hook_resid_post'], 'UNKNOWN_HOOK', /layer 5 but this model has 2 layers .*valid hooks: hook_embed, .*blocks\.\{0\.\.1\}\.hook_resid_post/],
    [['blocks.0.hook_resid_post', 'blocks.0.resid'], 'UNKNOWN_HOOK', /unknown hook 'blocks\.0\.resid'; valid hooks: /],
    [[], 'BAD_ARGUMENT', /'hooks' must name at least one hook/],
    [['logits', 'logits'], 'BAD_ARGUMENT', /'hooks' lists a hook twice/],
  ])('%j → %s', (hooks, code, message) => {
    expect(() => buildGpt2Graph({ config, weights }, hooks)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });
});
