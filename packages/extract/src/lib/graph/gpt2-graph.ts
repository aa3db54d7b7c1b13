/**
 * GPT-2's forward pass as an ONNX graph (opset 17) whose outputs are exactly the requested
 * transformer_lens hooks. B = batch, S = seq (both symbolic), D = n_embd, H = n_head,
 * dh = D / H, V = vocab_size, P = n_positions; weights are HF's, Conv1D `[in, out]` (x @ W + b).
 *
 *   x₀ = wte[ids] + wpe[0..S)                        hook_embed, hook_pos_embed, blocks.0.hook_resid_pre
 *   for each block l (x = blocks.l.hook_resid_pre):
 *     LN(x) = (x − mean(x)) / √(var(x) + ε) · w + b   (mean, biased var over D; ε from config)
 *     q, k, v = split₃(LN₁(x) @ W_attn + b_attn)       attn.hook_q/k/v [B,S,H,dh]
 *     pattern = softmax_k(q·kᵀ / √dh + M)              attn.hook_pattern [B,H,S_q,S_k]
 *       M[i,j] = −∞ for key j > query i, else 0, so masked entries are exactly 0 (as transformer_lens)
 *     z = pattern · v                                   attn.hook_z [B,S,H,dh]
 *     attn_out = concat_h(z) @ W_o + b_o                hook_attn_out
 *     x_mid = x + attn_out                              hook_resid_mid
 *     pre = LN₂(x_mid) @ W_fc + b_fc                    mlp.hook_pre [B,S,4D]
 *     post = act(pre)                                   mlp.hook_post
 *       gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)));  gelu: 0.5·x·(1 + erf(x/√2))
 *     x = x_mid + post @ W_p + b_p                      hook_mlp_out, hook_resid_post
 *   n = (x − mean) / √(var + ε)                        ln_final.hook_normalized (before w, b, as TL's hook)
 *   logits = (n · w_f + b_f) @ wteᵀ                    logits [B,S,V] (unembedding tied to wte)
 *
 * Blocks past the last one a hook needs are not built, and nodes no hook depends on are dropped.
 * With `from`, the graph starts at a residual-stream hook given as its input (to splice a changed
 * activation in and run on to the logits): blocks before it are not built either.
 */
import { Tensor, toFloat32 } from '@saestream/io';
import { ExtractError } from '../errors';
import { Gpt2Activation, Gpt2Config, validateGpt2Config } from './config';
import { GraphBuilder } from './graph-builder';
import { hookDims, hookNames, parseHook, residualStart } from './hooks';
import { encodeModel, OnnxGraph, OnnxValueInfo } from './onnx-proto';

/** A GPT-2 as the graph reads it: HF weight names without a `transformer.` prefix, no mask buffers. */
export interface Gpt2Model {
  config: Gpt2Config;
  weights: Map<string, Tensor>;
}

/** The graph's input from the start: token ids, int64 [batch, seq]. */
export const INPUT_IDS = 'input_ids';

export interface Gpt2GraphOptions {
  /**
   * Start the forward pass from this residual-stream hook (`blocks.L.hook_resid_pre|mid|post`)
   * instead of the token ids: the graph's one input is then float32 [batch, seq, n_embd] named
   * as the hook, and every requested hook must come after it. Nothing before it is built.
   */
  from?: string;
}

/**
 * The forward graph for `hooks`, serialized as an ONNX ModelProto with the weights embedded.
 * @param hooks transformer_lens hook names; they become the graph's outputs, in this order
 * @throws ExtractError 'UNKNOWN_HOOK', 'BAD_ARGUMENT' (no hooks, a hook twice, a hook not after `from`), 'BAD_MODEL' (config, a missing or misshapen weight)
 */
export function buildGpt2Graph(model: Gpt2Model, hooks: string[], options: Gpt2GraphOptions = {}): Uint8Array {
  return encodeModel({ graph: gpt2Graph(model, hooks, options), opset: 17 });
}

/** The forward graph for `hooks`, before serialization (see `buildGpt2Graph`). */
export function gpt2Graph(model: Gpt2Model, hooks: string[], options: Gpt2GraphOptions = {}): OnnxGraph {
  const config = validateGpt2Config(model.config);
  if (!Array.isArray(hooks) || hooks.length === 0) throw new ExtractError('BAD_ARGUMENT', `'hooks' must name at least one hook, e.g. blocks.6.hook_resid_post`);
  if (new Set(hooks).size !== hooks.length) throw new ExtractError('BAD_ARGUMENT', `'hooks' lists a hook twice: [${hooks.join(', ')}]`);
  const parsed = hooks.map((h) => parseHook(config, h));
  const start = options.from === undefined ? undefined : residualStart(config, options.from);
  if (start) {
    const order = hookNames(config);
    const early = hooks.find((h) => order.indexOf(h) <= order.indexOf(start.hook.name));
    if (early !== undefined) throw new ExtractError('BAD_ARGUMENT', `hook '${early}' does not come after '${start.hook.name}', where the graph starts; ask for hooks after it, e.g. logits`);
  }
  const lastLayer = Math.min(Math.max(...parsed.map((p) => p.layer)), config.nLayer - 1);
  const b = new GraphBuilder();
  const weight = weightReader(b, model.weights);
  const { nEmbd: D, vocabSize: V, nPositions: P } = config;

  // The input: token ids [B,S] from the embedding, or the residual [B,S,D] at `from`.
  const input: OnnxValueInfo = start ? { name: start.hook.name, type: 'float32', dims: ['batch', 'seq', D] } : { name: INPUT_IDS, type: 'int64', dims: ['batch', 'seq'] };
  const seqLen = b.op('Shape', 'seq_len', [input.name], { start: { int: 1 }, end: { int: 2 } }); // [1] = [S]
  const wte = weight('wte.weight', [V, D]);
  let resid = input.name;
  if (!start) {
    const embed = b.op('Gather', 'hook_embed', [wte, INPUT_IDS], { axis: { int: 0 } }); // [B,S,D]
    const pos = b.op('Slice', 'pos', [weight('wpe.weight', [P, D]), b.ints([0]), seqLen, b.ints([0])]); // [S,D]
    b.op('Expand', 'hook_pos_embed', [pos, b.op('Shape', 'embed_shape', [embed])]); // [B,S,D]
    resid = b.op('Add', 'blocks.0.hook_resid_pre', [embed, pos]); // [B,S,D]
  }

  // M: [S,S], −∞ strictly above the diagonal (key after query), 0 elsewhere; shared by every block.
  const minusInf = { name: 'value', type: 'float32' as const, dims: [1], data: Float32Array.of(-Infinity) };
  const fill = b.op('ConstantOfShape', 'mask_fill', [b.op('Concat', 'mask_shape', [seqLen, seqLen], { axis: { int: 0 } })], { value: { tensor: minusInf } });
  const mask = b.op('Trilu', 'causal_mask', [fill, b.ints([1], true)], { upper: { int: 1 } });

  for (let l = start?.layer ?? 0; l <= lastLayer; l++) {
    b.scope = `blocks.${l}.`;
    const w: Weight = (name, shape) => weight(`h.${l}.${name}`, shape);
    const startsAt = l === start?.layer ? start.hook.hook : undefined; // the input is this block's resid_pre, resid_mid, or the last one's resid_post
    if (l > 0 && (startsAt === undefined || startsAt === 'hook_resid_post')) b.op('Identity', 'hook_resid_pre', [resid]); // the same values as blocks.{l-1}.hook_resid_post
    const mid = startsAt === 'hook_resid_mid' ? resid : attention(b, config, resid, mask, w);
    resid = mlp(b, config, mid, w);
  }

  if (parsed.some((p) => p.kind === 'final')) {
    b.scope = 'ln_final.';
    const [w, bias] = [weight('ln_f.weight', [D]), weight('ln_f.bias', [D])];
    const ones = b.initializer('ln_final.ones', 'float32', [D], new Float32Array(D).fill(1));
    const zeros = b.initializer('ln_final.zeros', 'float32', [D], new Float32Array(D));
    const eps = { epsilon: { float: config.layerNormEpsilon }, axis: { int: -1 } };
    const normalized = b.op('LayerNormalization', 'hook_normalized', [resid, ones, zeros], eps); // [B,S,D]
    const final = hooks.includes('ln_final.hook_normalized')
      ? b.op('Add', 'affine', [b.op('Mul', 'scale', [normalized, w]), bias])
      : b.op('LayerNormalization', 'ln', [resid, w, bias], eps); // one fused op when the hook is not asked for
    b.scope = '';
    const flat = b.op('Reshape', 'unembed.flat', [final, b.ints([-1, D])]); // [B·S,D]
    const logits = b.op('Gemm', 'unembed.gemm', [flat, wte], { transB: { int: 1 } }); // [B·S,V] = flat @ wteᵀ
    const batchSeq = b.op('Shape', 'ids_shape', [input.name], { start: { int: 0 }, end: { int: 2 } }); // [2] = [B,S]
    const shape = b.op('Concat', 'logits_shape', [batchSeq, b.ints([V])], { axis: { int: 0 } });
    b.op('Reshape', 'logits', [logits, shape]); // [B,S,V]
  }

  const outputs = parsed.map((p): OnnxValueInfo => ({ name: p.name, type: 'float32', dims: hookDims(config, p) }));
  const name = start ? `gpt2 ${start.hook.name} → ${hooks.join(', ')}` : `gpt2 → ${hooks.join(', ')}`;
  return b.build(name, [input], outputs);
}

type Weight = (name: string, shape: number[]) => string;

/** A block's attention half on x [B,S,D]; returns hook_resid_mid. Output names are hook names in scope `blocks.l.`. */
function attention(b: GraphBuilder, c: Gpt2Config, x: string, mask: string, weight: Weight): string {
  const D = c.nEmbd;
  const [H, dh] = [c.nHead, D / c.nHead];
  const eps = { epsilon: { float: c.layerNormEpsilon }, axis: { int: -1 } };
  const ln1 = b.op('LayerNormalization', 'ln1', [x, weight('ln_1.weight', [D]), weight('ln_1.bias', [D])], eps); // [B,S,D]
  const qkv = linear(b, weight, 'attn.c_attn', ln1, D, 3 * D, 'attn.qkv'); // [B,S,3D]
  const split = b.opN('Split', 'attn.split', [qkv, b.ints([D, D, D])], 3, { axis: { int: -1 } }); // 3 × [B,S,D]
  const heads = b.ints([0, 0, H, dh]);
  const [q, k, v] = (['q', 'k', 'v'] as const).map((n, i) => b.op('Reshape', `attn.hook_${n}`, [split[i], heads])); // [B,S,H,dh]
  const perm = (p: number[]) => ({ perm: { ints: p } });
  const qT = b.op('Transpose', 'attn.q_heads', [q], perm([0, 2, 1, 3])); // [B,H,S,dh]
  const kT = b.op('Transpose', 'attn.k_heads', [k], perm([0, 2, 3, 1])); // [B,H,dh,S]
  const vT = b.op('Transpose', 'attn.v_heads', [v], perm([0, 2, 1, 3])); // [B,H,S,dh]
  const scores = b.op('Mul', 'attn.scores', [b.op('MatMul', 'attn.qk', [qT, kT]), b.float(1 / Math.sqrt(dh))]); // [B,H,S,S]
  const pattern = b.op('Softmax', 'attn.hook_pattern', [b.op('Add', 'attn.masked', [scores, mask])], { axis: { int: -1 } }); // [B,H,S,S]
  const zHeads = b.op('MatMul', 'attn.pv', [pattern, vT]); // [B,H,S,dh]
  const z = b.op('Transpose', 'attn.hook_z', [zHeads], perm([0, 2, 1, 3])); // [B,S,H,dh]
  const zFlat = b.op('Reshape', 'attn.z_flat', [z, b.ints([0, 0, D])]); // [B,S,D]
  const attnOut = linear(b, weight, 'attn.c_proj', zFlat, D, D, 'hook_attn_out'); // [B,S,D]
  return b.op('Add', 'hook_resid_mid', [x, attnOut]); // [B,S,D]
}

/** A block's MLP half on x_mid [B,S,D]; returns hook_resid_post. */
function mlp(b: GraphBuilder, c: Gpt2Config, mid: string, weight: Weight): string {
  const D = c.nEmbd;
  const eps = { epsilon: { float: c.layerNormEpsilon }, axis: { int: -1 } };
  const ln2 = b.op('LayerNormalization', 'ln2', [mid, weight('ln_2.weight', [D]), weight('ln_2.bias', [D])], eps); // [B,S,D]
  const pre = linear(b, weight, 'mlp.c_fc', ln2, D, 4 * D, 'mlp.hook_pre'); // [B,S,4D]
  const post = activation(b, c.activationFunction, pre, 'mlp.hook_post'); // [B,S,4D]
  const mlpOut = linear(b, weight, 'mlp.c_proj', post, 4 * D, D, 'hook_mlp_out'); // [B,S,D]
  return b.op('Add', 'hook_resid_post', [mid, mlpOut]); // [B,S,D]
}

/** x @ W + b with a Conv1D weight [dIn, dOut]. */
function linear(b: GraphBuilder, weight: Weight, name: string, input: string, dIn: number, dOut: number, output: string): string {
  const mm = b.op('MatMul', `${name}.matmul`, [input, weight(`${name}.weight`, [dIn, dOut])]);
  return b.op('Add', output, [mm, weight(`${name}.bias`, [dOut])]);
}

/**
 * The MLP activation, elementwise, written in the forms ORT's optimizer fuses (FastGelu, Gelu).
 * gelu_pytorch_tanh and gelu_fast are gelu_new's formula (they differ only in float rounding).
 */
function activation(b: GraphBuilder, fn: Gpt2Activation, x: string, output: string): string {
  const f = (v: number) => b.float(v);
  switch (fn) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      const cube = b.op('Pow', 'mlp.gelu.cube', [x, f(3)]);
      const inner = b.op('Mul', 'mlp.gelu.inner', [b.op('Add', 'mlp.gelu.sum', [x, b.op('Mul', 'mlp.gelu.cubic', [cube, f(0.044715)])]), f(Math.sqrt(2 / Math.PI))]);
      const onePlus = b.op('Add', 'mlp.gelu.one_plus', [b.op('Tanh', 'mlp.gelu.tanh', [inner]), f(1)]);
      return b.op('Mul', output, [b.op('Mul', 'mlp.gelu.half', [x, f(0.5)]), onePlus]);
    }
    case 'gelu': {
      const erf = b.op('Erf', 'mlp.gelu.erf', [b.op('Div', 'mlp.gelu.scaled', [x, f(Math.SQRT2)])]);
      return b.op('Mul', output, [b.op('Mul', 'mlp.gelu.half', [x, f(0.5)]), b.op('Add', 'mlp.gelu.one_plus', [erf, f(1)])]);
    }
    case 'relu':
      return b.op('Relu', output, [x]);
    case 'silu':
      return b.op('Mul', output, [x, b.op('Sigmoid', 'mlp.sigmoid', [x])]);
  }
}

/** Validates a weight against the shape the config implies and adds it as an initializer. */
function weightReader(b: GraphBuilder, weights: Map<string, Tensor>): Weight {
  return (name, shape) => {
    const t = weights.get(name);
    if (!t) {
      throw new ExtractError('BAD_MODEL', `weight '${name}' is missing: expected shape [${shape}] (HF names without the 'transformer.' prefix)`);
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ExtractError('BAD_MODEL', `weight '${name}' has shape [${t.shape}] but the config implies [${shape}]`);
    }
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') {
      throw new ExtractError('BAD_MODEL', `weight '${name}' has dtype ${t.dtype}; expected F32, F16 or BF16`);
    }
    return b.initializer(name, 'float32', shape, toFloat32(t));
  };
}
