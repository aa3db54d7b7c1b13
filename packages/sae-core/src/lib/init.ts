/**
 * A new autoencoder, initialised as OpenAI's train.py and Gao et al. 2024 §2.3 do:
 *
 *   decoder rows  ~ N(0, I), then each scaled to unit norm          (random unit directions)
 *   encoder       = decoderᵀ (latent j reads along the direction it writes)
 *   latent_bias   = 0
 *   pre_bias      = geometric median of a data sample (in the working space, i.e. after LN)
 *
 * and the learning rate OpenAI scales with the width: lr = 2e-4 / √(n / 2¹⁴).
 */
import { geometricMedian } from './geometric-median';
import { layerNorm } from './layer-norm';
import { Sae, SaeMeta, SaeSpec, validateSaeSpec, zeroParams } from './sae';
import { SaeError } from './errors';

export const defaultLr = (nLatents: number): number => 2e-4 / Math.sqrt(nLatents / 2 ** 14);

/** mulberry32 → uniform [0, 1); Box–Muller → N(0, 1). Small, seeded, the same everywhere. */
function seededNormal(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * @param sample `[rows, dIn]` raw activations for the pre_bias (OpenAI uses up to 32768 rows)
 */
export function initSae(spec: SaeSpec, sample: Float32Array, rows: number, seed: number, meta: SaeMeta = {}): Sae {
  validateSaeSpec(spec);
  const { dIn: d, nLatents: n } = spec;
  if (rows < 1 || sample.length !== rows * d) throw new SaeError('SHAPE_MISMATCH', `initSae: the sample must hold rows × dIn = ${rows} × ${d} floats but has ${sample.length}`);
  const params = zeroParams(spec);
  const normal = seededNormal(seed);
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let t = 0; t < d; t++) {
      const v = normal();
      params.decoder[j * d + t] = v;
      ss += v * v;
    }
    const norm = Math.sqrt(ss);
    for (let t = 0; t < d; t++) params.decoder[j * d + t] /= norm;
  }
  params.encoder.set(params.decoder);
  const working = spec.normalize ? layerNorm(sample, rows, d).normalized : sample;
  params.preBias.set(geometricMedian(working, rows, d).median);
  return { spec, params, meta };
}
