/**
 * GPT-2 cut in two at a residual-stream hook, to change the activation there and run on:
 *
 *   runToHook(ids [B,S])            = x at `hook`                 [B,S,D]   (the prefix graph)
 *   runFromHook(x' [B,S,D])         = logits of the rest of GPT-2 [B,S,V]   (the suffix graph, `from: hook`)
 *   runFromHook(runToHook(ids))     = the model's own logits (to float rounding)
 *
 * With `output: 'log_probs'` the suffix ends in a LogSoftmax over the vocabulary, so that a
 * caller scoring next tokens reads log-probabilities without a JavaScript pass of exp per logit.
 *
 * Two onnxruntime sessions, so that a splice (an SAE's reconstruction, an ablation) runs in
 * JavaScript between them and the prefix runs once however many splices follow.
 */
import * as ort from 'onnxruntime-node';
import { ExtractError } from '../errors';
import { Gpt2Config, validateGpt2Config } from './config';
import { Gpt2Model, gpt2Graph } from './gpt2-graph';
import { residualStart } from './hooks';
import { encodeModel } from './onnx-proto';
import { Gpt2Runner, Gpt2RunnerOptions, HookOutput, openSession } from './runner';

export interface SplitGpt2RunnerOptions extends Gpt2RunnerOptions {
  /** What `runFromHook` returns: `logits` (default) or `log_probs`, log softmax(logits) over the vocabulary. */
  output?: 'logits' | 'log_probs';
}

/** The suffix graph: from the residual at `hook` to the logits, or their log softmax. */
function suffixGraph(model: Gpt2Model, hook: string, output: 'logits' | 'log_probs'): Uint8Array {
  const graph = gpt2Graph(model, ['logits'], { from: hook });
  if (output === 'log_probs') {
    graph.nodes.push({ name: 'log_probs', opType: 'LogSoftmax', inputs: ['logits'], outputs: ['log_probs'], attributes: { axis: { int: -1 } } });
    graph.outputs = [{ ...graph.outputs[0], name: 'log_probs' }];
  }
  return encodeModel({ graph, opset: 17 });
}

export class SplitGpt2Runner {
  private constructor(
    private readonly prefix: Gpt2Runner,
    private readonly suffix: ort.InferenceSession,
    private readonly config: Gpt2Config,
    /** The residual-stream hook the model is cut at. */
    readonly hook: string,
    /** What `runFromHook` returns. */
    readonly output: 'logits' | 'log_probs',
  ) {}

  /** The residual's width at the hook (n_embd). */
  get width(): number {
    return this.config.nEmbd;
  }

  /**
   * Builds both graphs and opens their sessions.
   * @param hook `blocks.L.hook_resid_pre|mid|post`
   * @throws ExtractError 'UNKNOWN_HOOK' for any other hook; the graphs' and runner's errors
   */
  static async create(model: Gpt2Model, hook: string, opts: SplitGpt2RunnerOptions = {}): Promise<SplitGpt2Runner> {
    const config = validateGpt2Config(model.config);
    residualStart(config, hook);
    const output = opts.output ?? 'logits';
    if (output !== 'logits' && output !== 'log_probs') throw new ExtractError('BAD_ARGUMENT', `'output' must be one of [logits, log_probs] but got '${output}'`);
    const suffix = await openSession(() => suffixGraph(model, hook, output), opts, `${hook} → ${output}`);
    try {
      return new SplitGpt2Runner(await Gpt2Runner.create(model, [hook], opts), suffix, config, hook, output);
    } catch (e) {
      await suffix.release();
      throw e;
    }
  }

  /**
   * The residual at the hook.
   * @param tokens flat C-order ids [batch, seq]
   * @returns `[batch, seq, D]`
   */
  async runToHook(tokens: Int32Array, batch: number, seq: number): Promise<HookOutput> {
    return (await this.prefix.run(tokens, batch, seq)).get(this.hook)!;
  }

  /**
   * The logits (or log-probabilities) from a (changed) residual at the hook on.
   * @param residual `[batch, seq, D]` C-order
   * @returns `[batch, seq, vocab]` as `output` says
   * @throws ExtractError 'BAD_ARGUMENT' when `residual` is not batch × seq × D floats; 'BAD_TOKENS' for seq > n_positions
   */
  async runFromHook(residual: Float32Array, batch: number, seq: number): Promise<HookOutput> {
    const D = this.config.nEmbd;
    if (!Number.isSafeInteger(batch) || batch < 1 || !Number.isSafeInteger(seq) || seq < 1) {
      throw new ExtractError('BAD_ARGUMENT', `'batch' and 'seq' must be positive integers but got ${batch} × ${seq}`);
    }
    if (!(residual instanceof Float32Array) || residual.length !== batch * seq * D) {
      throw new ExtractError('BAD_ARGUMENT', `'residual' must hold batch × seq × d_model = ${batch} × ${seq} × ${D} floats but has ${residual?.length}`);
    }
    if (seq > this.config.nPositions) throw new ExtractError('BAD_TOKENS', `contexts of ${seq} tokens are longer than the model's n_positions (${this.config.nPositions})`);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.suffix.run({ [this.hook]: new ort.Tensor('float32', residual, [batch, seq, D]) });
    } catch (cause) {
      throw new ExtractError('RUNTIME', `onnxruntime failed running ${this.hook} → ${this.output} on [${batch}, ${seq}, ${D}]: ${(cause as Error).message}`, { cause });
    }
    const out = results[this.output];
    return { data: out.data as Float32Array, dims: [...out.dims] };
  }

  /** Frees both sessions. */
  async release(): Promise<void> {
    await Promise.all([this.prefix.release(), this.suffix.release()]);
  }
}
