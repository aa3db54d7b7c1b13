/**
 * The optimiser of OpenAI's train.py: Adam (torch.optim.Adam, eps 6.25e-10), optional global
 * gradient-norm clipping (torch.nn.utils.clip_grad_norm_) and an optional parameter EMA.
 * Runs on the kernel arena; the math of each lives in kernels.wat's `adam` and below.
 */
import { KBuf, KernelArena } from './kernels/kernels';

export interface AdamConfig {
  /** β1, β2 */
  betas: [number, number];
  /** Added to √v̂; OpenAI uses 6.25e-10 (Gao et al. 2024 §2). */
  eps: number;
}
export const defaultAdamConfig: AdamConfig = { betas: [0.9, 0.999], eps: 6.25e-10 };

/** One parameter with its gradient and Adam moments. */
export interface ParamSlot {
  name: string;
  param: KBuf;
  grad: KBuf;
  m: KBuf;
  v: KBuf;
  /** Exponential moving average of the parameter, when enabled. */
  ema: KBuf | null;
}

/** One Adam step at `lr`, the `step`-th (1-based) as torch counts for the bias corrections. */
export function adamStep(arena: KernelArena, slots: ParamSlot[], lr: number, step: number, config: AdamConfig): void {
  const [b1, b2] = config.betas;
  const stepSize = lr / (1 - b1 ** step);
  const bc2Sqrt = Math.sqrt(1 - b2 ** step);
  for (const s of slots) arena.k.adam(s.param.ptr, s.grad.ptr, s.m.ptr, s.v.ptr, s.param.length, stepSize, b1, b2, config.eps, bc2Sqrt);
}

/** √Σ g² over every gradient. */
export function gradNorm(arena: KernelArena, slots: ParamSlot[]): number {
  let ss = 0;
  for (const s of slots) ss += arena.dot(s.grad, 0, s.grad, 0, s.grad.length);
  return Math.sqrt(ss);
}

/** torch's clip_grad_norm_: scales every gradient by max / (norm + 1e-6) when that is < 1. */
export function clipGradNorm(arena: KernelArena, slots: ParamSlot[], maxNorm: number): number {
  const norm = gradNorm(arena, slots);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const s of slots) for (let i = 0; i < s.grad.length; i++) s.grad.f[i] *= coef;
  return norm;
}

/** ema ← ema + (1 − decay) · (param − ema) */
export function emaStep(slots: ParamSlot[], decay: number): void {
  for (const s of slots) {
    if (!s.ema) continue;
    const e = s.ema.f;
    const p = s.param.f;
    for (let i = 0; i < e.length; i++) e[i] += (1 - decay) * (p[i] - e[i]);
  }
}
