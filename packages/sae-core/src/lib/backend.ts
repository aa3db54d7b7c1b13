/**
 * Picks the tfjs backend once, at start, and says which one it got and why.
 *
 *   tensorflow  @tensorflow/tfjs-node-gpu, else @tensorflow/tfjs-node (libtensorflow; CUDA with -gpu).
 *               Optional dependencies: their install downloads libtensorflow, which fails offline,
 *               and npm then goes on without them.
 *   wasm        @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD where the CPU has it; one thread in Node)
 *   cpu         plain JavaScript kernels: always there, ~50x slower than wasm on a GEMM here
 *
 * `auto` (the default) takes the first that loads, in that order. `SAESTREAM_BACKEND` or an
 * explicit request names one; a named backend that cannot load is an error, never a silent
 * fallback, so a GPU run cannot quietly become a CPU run.
 */
import * as tf from '@tensorflow/tfjs';
import { SaeError } from './errors';

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendRequest = BackendName | 'auto';

/** What {@link initBackend} chose. */
export interface BackendChoice {
  /** The backend now active in tfjs. */
  name: BackendName;
  /** What was asked for, and where the request came from. */
  requested: BackendRequest;
  source: 'argument' | 'SAESTREAM_BACKEND' | 'default';
  /** Backends tried before `name`, with the reason each did not load. */
  skipped: { name: BackendName; reason: string }[];
  /** For wasm: whether the SIMD build runs. */
  simd?: boolean;
}

/** Loads a backend's package so that it registers with tfjs; throws with the loader's reason. */
async function load(name: BackendName): Promise<void> {
  if (name === 'tensorflow') {
    const errors: string[] = [];
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional packages, loaded only when asked for
        require(pkg);
        return;
      } catch (e) {
        errors.push(`${pkg}: ${firstLine(e)}`);
      }
    }
    throw new Error(errors.join('; '));
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- registers the backend on load; only when chosen
  if (name === 'wasm') require('@tensorflow/tfjs-backend-wasm');
}

const firstLine = (e: unknown): string => String(e instanceof Error ? e.message : e).split('\n')[0];

async function activate(name: BackendName): Promise<void> {
  await load(name);
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

/** Parses a backend request (e.g. from an environment variable or a flag). */
export function parseBackendRequest(value: string, what = 'backend'): BackendRequest {
  const choices = ['auto', ...BACKENDS];
  if (!choices.includes(value)) throw new SaeError('BAD_ARGUMENT', `${what} must be one of [${choices.join(', ')}] but got '${value}'`);
  return value as BackendRequest;
}

/**
 * Selects and activates the tfjs backend: `request` if given, else `SAESTREAM_BACKEND`, else auto.
 * Call once before any tensor work; returns what it chose for the caller to print.
 */
export async function initBackend(request?: BackendRequest): Promise<BackendChoice> {
  const env = process.env.SAESTREAM_BACKEND;
  const source: BackendChoice['source'] = request !== undefined ? 'argument' : env ? 'SAESTREAM_BACKEND' : 'default';
  const requested = request ?? (env ? parseBackendRequest(env, 'SAESTREAM_BACKEND') : 'auto');
  const order: BackendName[] = requested === 'auto' ? [...BACKENDS] : [requested];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    try {
      await activate(name);
      const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined;
      return { name, requested, source, skipped, simd };
    } catch (e) {
      skipped.push({ name, reason: firstLine(e) });
    }
  }
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new SaeError('BACKEND_UNAVAILABLE', `tfjs backend '${requested}' (from ${source}) cannot load here (${why}); choose one of [auto, ${BACKENDS.join(', ')}]`);
}

/** One line for logs: `tfjs backend: wasm (SIMD) — skipped tensorflow: Cannot find module …`. */
export function describeBackend(choice: BackendChoice): string {
  const simd = choice.simd === undefined ? '' : choice.simd ? ' (SIMD)' : ' (no SIMD)';
  const skipped = choice.skipped.map((s) => `skipped ${s.name}: ${s.reason}`).join('; ');
  return `tfjs backend: ${choice.name}${simd}${choice.source === 'default' ? '' : ` (${choice.requested} from ${choice.source})`}${skipped ? ` — ${skipped}` : ''}`;
}
