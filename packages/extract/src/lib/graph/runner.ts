/**
 * Runs the GPT-2 forward graph on onnxruntime-node: one InferenceSession per (model, hooks),
 * built from the graph bytes with the weights embedded, then one `run` per token batch.
 */
import * as ort from 'onnxruntime-node';
import { ExtractError } from '../errors';
import { Gpt2Config } from './config';
import { buildGpt2Graph, Gpt2Model, INPUT_IDS } from './gpt2-graph';

export interface Gpt2RunnerOptions {
  /** onnxruntime intra-op threads; onnxruntime's default (one per core) when absent. */
  intraOpThreads?: number;
}

/** One hook's values, C-order: `data.length === prod(dims)`. */
export interface HookOutput {
  data: Float32Array;
  dims: number[];
}

/**
 * An onnxruntime session on a graph (built only after the options are checked).
 * @param what the graph's outputs, for the error message
 * @throws ExtractError 'BAD_ARGUMENT' for bad options, the graph's errors, 'RUNTIME' when onnxruntime refuses it
 */
export async function openSession(graph: () => Uint8Array, opts: Gpt2RunnerOptions, what: string): Promise<ort.InferenceSession> {
  const { intraOpThreads } = opts;
  if (intraOpThreads !== undefined && (!Number.isSafeInteger(intraOpThreads) || intraOpThreads < 1)) {
    throw new ExtractError('BAD_ARGUMENT', `'intraOpThreads' must be a positive integer but got ${intraOpThreads}`);
  }
  const bytes = graph();
  try {
    const threads = intraOpThreads === undefined ? {} : { intraOpNumThreads: intraOpThreads }; // the binding refuses an undefined value
    return await ort.InferenceSession.create(bytes, { ...threads, graphOptimizationLevel: 'all' });
  } catch (cause) {
    throw new ExtractError('RUNTIME', `onnxruntime could not load the GPT-2 graph for ${what}: ${(cause as Error).message}`, { cause });
  }
}

export class Gpt2Runner {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: Gpt2Config,
    /** The hooks every `run` returns, in request order. */
    readonly hooks: readonly string[],
  ) {}

  /**
   * Builds the graph for `hooks` and opens a session on it.
   * @throws ExtractError 'UNKNOWN_HOOK', 'BAD_ARGUMENT', 'BAD_MODEL' from the graph; 'RUNTIME' when onnxruntime refuses it
   */
  static async create(model: Gpt2Model, hooks: string[], opts: Gpt2RunnerOptions = {}): Promise<Gpt2Runner> {
    const session = await openSession(() => buildGpt2Graph(model, hooks), opts, `[${hooks.join(', ')}]`);
    return new Gpt2Runner(session, model.config, [...hooks]);
  }

  /**
   * One forward pass.
   * @param tokens token ids, [batch, seq] as rows, or flat C-order with `batch` and `seq`
   * @returns hook name → values ([batch, seq, …] or [batch, head, seq, seq] for a pattern)
   * @throws ExtractError 'BAD_TOKENS' for ids outside [0, vocab) or seq > n_positions; 'BAD_ARGUMENT' for ragged or mis-sized input
   */
  async run(tokens: Int32Array | number[][], batch?: number, seq?: number): Promise<Map<string, HookOutput>> {
    const input = this.tokenTensor(tokens, batch, seq);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run({ [INPUT_IDS]: input });
    } catch (cause) {
      throw new ExtractError('RUNTIME', `onnxruntime failed running [${input.dims}] tokens: ${(cause as Error).message}`, { cause });
    }
    return new Map(this.hooks.map((h) => [h, { data: results[h].data as Float32Array, dims: [...results[h].dims] }]));
  }

  /** Frees the session (and the weights onnxruntime holds). */
  async release(): Promise<void> {
    await this.session.release();
  }

  /** Checks the ids and packs them as int64 [batch, seq]. */
  private tokenTensor(tokens: Int32Array | number[][], batch?: number, seq?: number): ort.Tensor {
    let flat: ArrayLike<number>;
    if (Array.isArray(tokens)) {
      [batch, seq] = [tokens.length, tokens[0]?.length ?? 0];
      const width = seq;
      const ragged = tokens.findIndex((row) => !Array.isArray(row) || row.length !== width);
      if (ragged >= 0) throw new ExtractError('BAD_ARGUMENT', `'tokens' rows must all have ${width} ids but row ${ragged} has ${tokens[ragged]?.length}`);
      flat = tokens.flat();
    } else {
      if (batch === undefined || seq === undefined) throw new ExtractError('BAD_ARGUMENT', `'batch' and 'seq' are required with flat Int32Array tokens`);
      if (tokens.length !== batch * seq) {
        throw new ExtractError('BAD_ARGUMENT', `'tokens' must hold batch × seq = ${batch} × ${seq} = ${batch * seq} ids but has ${tokens.length}`);
      }
      flat = tokens;
    }
    if (!Number.isSafeInteger(batch) || batch < 1 || !Number.isSafeInteger(seq) || seq < 1) {
      throw new ExtractError('BAD_ARGUMENT', `'tokens' must be at least 1 × 1 but got ${batch} × ${seq}`);
    }
    const { vocabSize, nPositions } = this.config;
    if (seq > nPositions) throw new ExtractError('BAD_TOKENS', `contexts of ${seq} tokens are longer than the model's n_positions (${nPositions})`);
    const ids = new BigInt64Array(flat.length);
    for (let i = 0; i < flat.length; i++) {
      const id = flat[i];
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new ExtractError('BAD_TOKENS', `token id ${id} at [${Math.floor(i / seq)}, ${i % seq}] is outside the vocabulary [0, ${vocabSize})`);
      }
      ids[i] = BigInt(id);
    }
    return new ort.Tensor('int64', ids, [batch, seq]);
  }
}
