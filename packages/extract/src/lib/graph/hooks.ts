/**
 * transformer_lens hook names of GPT-2 (HookedTransformer with `center_writing_weights=False`),
 * what each one's shape is, and the last block a set of hooks needs.
 */
import { ExtractError } from '../errors';
import { Gpt2Config } from './config';

/** Hooks before the first block. */
const EMBED_HOOKS = ['hook_embed', 'hook_pos_embed'] as const;
/** Hooks of block L, named `blocks.L.<hook>`, in the order the forward pass reaches them. */
export const BLOCK_HOOKS = [
  'hook_resid_pre',
  'attn.hook_q',
  'attn.hook_k',
  'attn.hook_v',
  'attn.hook_pattern',
  'attn.hook_z',
  'hook_attn_out',
  'hook_resid_mid',
  'mlp.hook_pre',
  'mlp.hook_post',
  'hook_mlp_out',
  'hook_resid_post',
] as const;
export type BlockHook = (typeof BLOCK_HOOKS)[number];
/** Hooks after the last block: they need every block. */
const FINAL_HOOKS = ['ln_final.hook_normalized', 'logits'] as const;

/** A hook name taken apart: `layer` is -1 before the first block and nLayer after the last. */
export type ParsedHook =
  | { name: string; kind: 'embed'; hook: (typeof EMBED_HOOKS)[number]; layer: -1 }
  | { name: string; kind: 'block'; hook: BlockHook; layer: number }
  | { name: string; kind: 'final'; hook: (typeof FINAL_HOOKS)[number]; layer: number };

/** Every hook this model has, in forward order. */
export function hookNames(config: Gpt2Config): string[] {
  const blocks = Array.from({ length: config.nLayer }, (_, l) => BLOCK_HOOKS.map((h) => `blocks.${l}.${h}`));
  return [...EMBED_HOOKS, ...blocks.flat(), ...FINAL_HOOKS];
}

/** `hook_embed, hook_pos_embed, blocks.{0..11}.hook_resid_pre, …, logits`, for messages. */
export function describeHooks(config: Gpt2Config): string {
  const layers = config.nLayer === 1 ? '0' : `{0..${config.nLayer - 1}}`;
  return [...EMBED_HOOKS, ...BLOCK_HOOKS.map((h) => `blocks.${layers}.${h}`), ...FINAL_HOOKS].join(', ');
}

const includes = <T extends string>(list: readonly T[], s: string): s is T => (list as readonly string[]).includes(s);

/**
 * Takes a hook name apart.
 * @throws ExtractError 'UNKNOWN_HOOK' for a name this model does not have (the message lists the valid ones).
 */
export function parseHook(config: Gpt2Config, name: string): ParsedHook {
  if (includes(EMBED_HOOKS, name)) return { name, kind: 'embed', hook: name, layer: -1 };
  if (includes(FINAL_HOOKS, name)) return { name, kind: 'final', hook: name, layer: config.nLayer };
  const m = /^blocks\.(0|[1-9]\d*)\.(.+)$/.exec(name);
  if (m && includes(BLOCK_HOOKS, m[2])) {
    const layer = Number(m[1]);
    if (layer < config.nLayer) return { name, kind: 'block', hook: m[2], layer };
    throw new ExtractError(
      'UNKNOWN_HOOK',
      `hook '${name}' is in layer ${layer} but this model has ${config.nLayer} layers (0..${config.nLayer - 1}); valid hooks: ${describeHooks(config)}`,
    );
  }
  throw new ExtractError('UNKNOWN_HOOK', `unknown hook '${name}'; valid hooks: ${describeHooks(config)}`);
}

/** The residual-stream hooks a graph can start from (see `residualStart`). */
export const RESIDUAL_HOOKS = ['hook_resid_pre', 'hook_resid_mid', 'hook_resid_post'] as const;

/**
 * Where a graph that starts from the residual `name` picks up the forward pass: the block whose
 * attention (`at: 'attn'`) or MLP (`at: 'mlp'`) reads it first. `blocks.L.hook_resid_post` is
 * read by block L + 1's attention (L + 1 = nLayer: by the final LayerNorm alone).
 * @throws ExtractError 'UNKNOWN_HOOK' for a name the model lacks or one that is not a residual hook (listing those)
 */
export function residualStart(config: Gpt2Config, name: string): { hook: ParsedHook; layer: number; at: 'attn' | 'mlp' } {
  const hook = parseHook(config, name);
  if (hook.kind !== 'block' || !includes(RESIDUAL_HOOKS, hook.hook)) {
    const layers = config.nLayer === 1 ? '0' : `{0..${config.nLayer - 1}}`;
    throw new ExtractError('UNKNOWN_HOOK', `a graph can start only from a residual-stream hook (blocks.${layers}.{${RESIDUAL_HOOKS.join(',')}}) but got '${name}'`);
  }
  if (hook.hook === 'hook_resid_mid') return { hook, layer: hook.layer, at: 'mlp' };
  return { hook, layer: hook.hook === 'hook_resid_pre' ? hook.layer : hook.layer + 1, at: 'attn' };
}

/**
 * A hook's dims, `batch` and `seq` symbolic: [batch, seq, d_model] for the residual-width hooks,
 * [batch, seq, 4·d_model] for the MLP's, [batch, seq, head, d_head] for q/k/v/z,
 * [batch, head, seq, seq] (query, key) for the pattern, [batch, seq, vocab] for the logits.
 */
export function hookDims(config: Gpt2Config, hook: ParsedHook): (number | string)[] {
  const dHead = config.nEmbd / config.nHead;
  switch (hook.hook) {
    case 'logits':
      return ['batch', 'seq', config.vocabSize];
    case 'mlp.hook_pre':
    case 'mlp.hook_post':
      return ['batch', 'seq', 4 * config.nEmbd];
    case 'attn.hook_q':
    case 'attn.hook_k':
    case 'attn.hook_v':
    case 'attn.hook_z':
      return ['batch', 'seq', config.nHead, dHead];
    case 'attn.hook_pattern':
      return ['batch', config.nHead, 'seq', 'seq'];
    default:
      return ['batch', 'seq', config.nEmbd];
  }
}
