/**
 * One training step of OpenAI's train.py on a TopK autoencoder, with sparse gradients:
 *
 *   x̂       = LN(x) if normalize else x                  (training happens in this space)
 *   z       = TopK(enc · (x̂ − b_pre) + b_lat)             (dense matmul on tfjs; the rest sparse)
 *   y       = dec · ReLU(z) + b_pre,   e = y − x̂
 *   dead    = latents without a top-k value > 1e-3 for more than `deadTokens` tokens
 *   z_aux   = ReLU(top-k_aux of the pre-activations over dead latents)     (Gao et al. 2024 §2.4)
 *   loss    = mseScale · mean(e²) + auxkCoef · nan→0( mean((dec·z_aux + e)²) / mean((e − mean_rows e)²) )
 *
 * (the AuxK term is train.py's normalized_mse(dec·z_aux + b_pre, x̂ − y.detach() + b_pre.detach()),
 * simplified). After the backward pass the decoder rows are renormalised and each gradient row's
 * component along its decoder row removed; then Adam, optional clipping and EMA.
 */
import { adamStep, AdamConfig, clipGradNorm, defaultAdamConfig, emaStep, ParamSlot } from './optimizer';
import { DeadStats } from './dead-stats';
import { projectDecoderGrad, unitNormDecoder } from './decoder-norm';
import { EncoderMatmul } from './encoder-matmul';
import { SaeError } from './errors';
import { KBuf, KernelArena } from './kernels/kernels';
import { layerNorm } from './layer-norm';
import { Sae, SaeParams, validateSae } from './sae';
import { BackwardBuffers, Selection, sparseBackward, sparseDecode } from './sparse-backward';
import { topKRows } from './topk';
import { batchVariance, nmse } from './train-loss';

export interface SparseTrainerConfig {
  /** Most rows one step takes; buffers are sized for it. */
  maxRows: number;
  /** AuxK latents per row (Gao et al. use 512; train.py defaults to 256); 0 turns AuxK off. */
  kAux: number;
  /** Weight of the AuxK loss (train.py: 1/32). */
  auxkCoef: number;
  /** A latent is dead after this many tokens without firing (OpenAI: 10M). */
  deadTokens: number;
  /** 1 / mean((mean_rows(x̂) − x̂)²) of the init sample (train.py `mse_scale`). */
  mseScale: number;
  adam: AdamConfig;
  /** Clip the global gradient norm to this; null for none. */
  clipGradNorm: number | null;
  /** Keep an EMA of the parameters with this decay (e.g. 0.999); null for none. */
  emaDecay: number | null;
}

export const defaultSparseTrainerConfig: Omit<SparseTrainerConfig, 'mseScale'> = {
  maxRows: 4096,
  kAux: 512,
  auxkCoef: 1 / 32,
  deadTokens: 10_000_000,
  adam: defaultAdamConfig,
  clipGradNorm: null,
  emaDecay: null,
};

/** What one step measured, in the autoencoder's working space. */
export interface StepMetrics {
  rows: number;
  loss: number;
  /** mseScale · mse */
  lossMain: number;
  /** the AuxK normalised MSE (before auxkCoef); 0 when AuxK is off */
  lossAux: number;
  mse: number;
  /** mse / batch variance (train.py normalized_mse, fraction of variance unexplained) */
  fvu: number;
  /** mean over rows of ‖e‖² / ‖x̂‖² (loss.py normalized_mean_squared_error) */
  nmse: number;
  /** mean number of non-zero latents per row */
  l0: number;
  /** dead latents after this step's statistics update */
  dead: number;
  /** global gradient norm (after the decoder adjustment, before clipping) */
  gradNorm: number;
}

/** The selections of a step, for inspection (tests, tools). */
export interface StepDetail {
  top: Selection;
  aux: Selection | null;
  /** `[rows, d]` reconstruction in working space (a view; valid until the next step) */
  recons: Float32Array;
  /** `[rows, d]` the working-space input */
  input: Float32Array;
}

export class SparseTrainer {
  readonly config: SparseTrainerConfig;
  readonly stats: DeadStats;
  /** Adam steps taken so far. */
  step = 0;
  private readonly arena = new KernelArena();
  private readonly slots: ParamSlot[];
  private readonly buf: { x: KBuf; xc: KBuf; y: KBuf; gY: KBuf; yAux: KBuf; gYAux: KBuf; gXc: KBuf };
  private readonly matmul: EncoderMatmul;
  private readonly d: number;
  private readonly n: number;

  constructor(
    readonly sae: Sae,
    config: Partial<SparseTrainerConfig> & Pick<SparseTrainerConfig, 'mseScale'>,
  ) {
    validateSae(sae);
    this.config = { ...defaultSparseTrainerConfig, ...config };
    const { dIn: d, nLatents: n, activation } = sae.spec;
    if (activation !== 'topk') throw new SaeError('BAD_ARGUMENT', `SparseTrainer trains 'topk' autoencoders but got activation '${activation}'`);
    const { kAux, maxRows } = this.config;
    if (!Number.isInteger(kAux) || kAux < 0 || kAux >= n) throw new SaeError('BAD_ARGUMENT', `'kAux' must be an integer in [0, nLatents) = [0, ${n}) but got ${kAux}`);
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new SaeError('BAD_ARGUMENT', `'maxRows' must be a positive integer but got ${maxRows}`);
    if (!(this.config.mseScale > 0) || !Number.isFinite(this.config.mseScale)) throw new SaeError('BAD_ARGUMENT', `'mseScale' must be a positive finite number but got ${this.config.mseScale}`);
    this.d = d;
    this.n = n;
    const a = this.arena;
    const slot = (name: keyof SaeParams): ParamSlot => {
      const length = sae.params[name].length;
      return { name, param: a.alloc(length), grad: a.alloc(length), m: a.alloc(length), v: a.alloc(length), ema: this.config.emaDecay === null ? null : a.alloc(length) };
    };
    this.slots = (['preBias', 'latentBias', 'encoder', 'decoder'] as const).map(slot);
    const rowsD = maxRows * d;
    this.buf = { x: a.alloc(rowsD), xc: a.alloc(rowsD), y: a.alloc(rowsD), gY: a.alloc(rowsD), yAux: a.alloc(rowsD), gYAux: a.alloc(rowsD), gXc: a.alloc(rowsD) };
    a.seal();
    for (const s of this.slots) {
      s.param.f.set(sae.params[s.name as keyof SaeParams]);
      s.ema?.f.set(s.param.f);
    }
    this.stats = new DeadStats(n, this.config.deadTokens);
    this.matmul = new EncoderMatmul(d, n, this.slot('encoder').param.f, this.slot('latentBias').param.f);
  }

  private slot(name: keyof SaeParams): ParamSlot {
    return this.slots.find((s) => s.name === name) as ParamSlot;
  }

  /** The current parameters (views into kernel memory: copy to keep). */
  get params(): SaeParams {
    const f = (name: keyof SaeParams): Float32Array => this.slot(name).param.f;
    return { preBias: f('preBias'), latentBias: f('latentBias'), encoder: f('encoder'), decoder: f('decoder') };
  }

  /** The gradients of the last `computeGradients` (views). */
  get grads(): SaeParams {
    const f = (name: keyof SaeParams): Float32Array => this.slot(name).grad.f;
    return { preBias: f('preBias'), latentBias: f('latentBias'), encoder: f('encoder'), decoder: f('decoder') };
  }

  /** Every array a checkpoint needs for an exact resume (views). */
  stateArrays(): Record<string, Float32Array | Float64Array> {
    const out: Record<string, Float32Array | Float64Array> = { 'stats.since': this.stats.since };
    for (const s of this.slots) {
      out[`param.${s.name}`] = s.param.f;
      out[`adam.m.${s.name}`] = s.m.f;
      out[`adam.v.${s.name}`] = s.v.f;
      if (s.ema) out[`ema.${s.name}`] = s.ema.f;
    }
    return out;
  }

  /** Restores `stateArrays()` values and the step count saved with them. */
  restoreState(arrays: Record<string, Float32Array | Float64Array>, step: number): void {
    for (const [name, target] of Object.entries(this.stateArrays())) {
      const src = arrays[name];
      if (!src || src.length !== target.length) throw new SaeError('SHAPE_MISMATCH', `trainer state '${name}' must hold ${target.length} values but ${src ? `has ${src.length}` : 'is missing'}`);
      target.set(src);
    }
    this.step = step;
    this.matmul.update(this.slot('encoder').param.f, this.slot('latentBias').param.f);
  }

  /** The EMA parameters when enabled, else the parameters (views). */
  get emaParams(): SaeParams {
    const f = (name: keyof SaeParams): Float32Array => (this.slot(name).ema ?? this.slot(name).param).f;
    return { preBias: f('preBias'), latentBias: f('latentBias'), encoder: f('encoder'), decoder: f('decoder') };
  }

  /**
   * Forward, statistics update, loss and sparse backward; leaves the adjusted gradients in
   * `grads` and renormalises the decoder (train.py order). Does not step the optimiser.
   * @param x `[rows, dIn]` raw activations
   */
  computeGradients(x: Float32Array, rows = x.length / this.d): { metrics: Omit<StepMetrics, 'gradNorm'>; detail: StepDetail } {
    const { d, n, arena, buf } = this;
    const { k, normalize } = this.sae.spec;
    if (!Number.isInteger(rows) || x.length !== rows * d) throw new SaeError('SHAPE_MISMATCH', `step: x must hold rows × dIn = ${rows} × ${d} floats but has ${x.length}; the autoencoder's d_in is ${d}`);
    if (rows > this.config.maxRows) throw new SaeError('BAD_ARGUMENT', `step: ${rows} rows exceed maxRows ${this.config.maxRows}`);
    const rd = rows * d;
    const X = buf.x.f.subarray(0, rd);
    if (normalize) layerNorm(x, rows, d, X);
    else X.set(x);
    const preBias = this.slot('preBias').param.f;
    const xc = buf.xc.f;
    for (let i = 0; i < rd; i++) xc[i] = X[i] - preBias[i % d];

    // forward: dense encoder product, then the top-k
    const preActs = this.matmul.preActs(xc.subarray(0, rd), rows); // [rows, n]
    const top = topKRows(preActs, rows, n, k);
    this.stats.update(top.indices, top.values, rows);
    const topSel: Selection = { width: k, indices: top.indices, values: top.values.map((v) => (v > 0 ? v : 0)) };
    let l0 = 0;
    for (const v of topSel.values) if (v > 0) l0++;

    // y = dec·z + b_pre; e = y − x̂; main loss
    const y = buf.y.f;
    for (let i = 0; i < rd; i++) y[i] = preBias[i % d];
    sparseDecode(arena, topSel, rows, this.slot('decoder').param, buf.y, d);
    const gY = buf.gY.f;
    let ss = 0;
    for (let i = 0; i < rd; i++) {
      const e = y[i] - X[i];
      ss += e * e;
      gY[i] = e; // scaled below
    }
    const mseValue = ss / rd;
    const lossMain = this.config.mseScale * mseValue;
    const variance = batchVariance(X, rows, d);

    // AuxK over dead latents (after the statistics update, as train.py)
    const dead = this.stats.deadIndices();
    let aux: Selection | null = null;
    let lossAux = 0;
    const gYAux = buf.gYAux.f;
    if (this.config.kAux > 0) {
      const yAux = buf.yAux.f;
      yAux.fill(0, 0, rd);
      if (dead.length > 0) {
        const t = topKRows(preActs, rows, n, this.config.kAux, dead);
        aux = { width: this.config.kAux, indices: t.indices, values: t.values.map((v) => (v > 0 ? v : 0)) };
        sparseDecode(arena, aux, rows, this.slot('decoder').param, buf.yAux, d);
      }
      // r = dec·z_aux + e; denominator = variance of the target x̂ − y over rows
      let num = 0;
      for (let i = 0; i < rd; i++) {
        const r = yAux[i] + gY[i];
        gYAux[i] = r;
        num += r * r;
      }
      const denom = batchVariance(gY, rows, d); // the target x̂ − y is −e: same variance
      lossAux = num / rd / denom;
      const scale = Number.isNaN(lossAux) ? 0 : (this.config.auxkCoef * 2) / (rd * denom);
      if (Number.isNaN(lossAux)) lossAux = 0; // train.py's nan_to_num(0)
      for (let i = 0; i < rd; i++) gYAux[i] *= scale;
    }
    const loss = lossMain + this.config.auxkCoef * lossAux;
    if (!Number.isFinite(loss)) throw new SaeError('NON_FINITE', `loss is ${loss} (main ${lossMain}, AuxK ${lossAux}) at optimiser step ${this.step + 1}; parameters left as they were`);
    const gScale = (this.config.mseScale * 2) / rd;
    for (let i = 0; i < rd; i++) gY[i] *= gScale;

    // backward
    for (const s of this.slots) arena.zero(s.grad);
    const gXc = buf.gXc;
    gXc.f.fill(0, 0, rd);
    const common = { xc: buf.xc, encoder: this.slot('encoder').param, decoder: this.slot('decoder').param, gEncoder: this.slot('encoder').grad, gDecoder: this.slot('decoder').grad, gLatentBias: this.slot('latentBias').grad, gXc };
    sparseBackward(arena, topSel, rows, { ...common, gOut: buf.gY } as BackwardBuffers, d);
    if (aux) sparseBackward(arena, aux, rows, { ...common, gOut: buf.gYAux } as BackwardBuffers, d);
    // ∂b_pre = Σ_r (∂y_r + ∂y_aux,r − ∂xc_r)   (b_pre is added in both decodes and subtracted before the encoder)
    const gPre = this.slot('preBias').grad.f;
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < d; t++) {
        const i = r * d + t;
        gPre[t] += gY[i] + (this.config.kAux > 0 ? gYAux[i] : 0) - gXc.f[i];
      }
    }

    // train.py: unit_norm_decoder_ then unit_norm_decoder_grad_adjustment_
    unitNormDecoder(arena, this.slot('decoder').param, n, d);
    projectDecoderGrad(arena, this.slot('decoder').param, this.slot('decoder').grad, n, d);

    return {
      metrics: { rows, loss, lossMain, lossAux, mse: mseValue, fvu: mseValue / variance, nmse: nmse(y, X, rows, d), l0: l0 / rows, dead: dead.length },
      detail: { top: topSel, aux, recons: y.subarray(0, rd), input: X },
    };
  }

  /** Clipping, Adam at `lr`, EMA; then the encoder is re-uploaded for the next forward. */
  applyUpdate(lr: number): number {
    const norm = this.config.clipGradNorm === null ? Math.sqrt(this.slots.reduce((s, p) => s + this.arena.dot(p.grad, 0, p.grad, 0, p.grad.length), 0)) : clipGradNorm(this.arena, this.slots, this.config.clipGradNorm);
    this.step += 1;
    adamStep(this.arena, this.slots, lr, this.step, this.config.adam);
    if (this.config.emaDecay !== null) emaStep(this.slots, this.config.emaDecay);
    this.matmul.update(this.slot('encoder').param.f, this.slot('latentBias').param.f);
    return norm;
  }

  /** One whole step. Throws SaeError('NON_FINITE') before touching the parameters if the loss is not finite. */
  trainStep(x: Float32Array, lr: number, rows = x.length / this.d): StepMetrics & { detail: StepDetail } {
    const { metrics, detail } = this.computeGradients(x, rows);
    const gradNorm = this.applyUpdate(lr);
    return { ...metrics, gradNorm, detail };
  }

  dispose(): void {
    this.matmul.dispose();
  }
}

