/**
 * A {@link Sae} as SAELens holds one: four F32 tensors (written to `sae_weights.safetensors`)
 * and a cfg.json (see saelens-cfg.ts). SAELens computes (sae.py `process_sae_in`, topk_sae.py
 * `encode`/`decode`)
 *
 *   latents = act((x − b_dec) @ W_enc + b_enc)      recons = latents @ W_dec + b_dec
 *
 * which is OpenAI's Autoencoder with the parameters renamed and the encoder transposed:
 *
 *   W_enc [d_in, d_sae] = encoderᵀ      b_enc [d_sae] = latentBias   (OpenAI latent_bias)
 *   W_dec [d_sae, d_in] = decoder       b_dec [d_in]  = preBias      (OpenAI pre_bias)
 */
import type { Tensor } from '@saestream/io';
import { validateSae, type Sae } from '../sae';
import { floatParam, floatValues, transpose, validateLoaded, type TensorMap } from './param-tensors';
import { readSaeLensCfg, saeLensCfg, type SaeLensCfg } from './saelens-cfg';

/** The tensors of the SAELens layout, by name. */
export interface SaeLensTensors extends Record<string, Tensor> {
  /** `[d_in, d_sae]` */
  W_enc: Tensor;
  /** `[d_sae, d_in]` */
  W_dec: Tensor;
  /** `[d_sae]` */
  b_enc: Tensor;
  /** `[d_in]` */
  b_dec: Tensor;
}

/**
 * The SAELens tensors and cfg.json of an autoencoder. W_dec, b_enc and b_dec are the Sae's own
 * arrays (no copy); W_enc is a new transposed copy.
 */
export function saeToSaeLens(sae: Sae): { tensors: SaeLensTensors; cfg: SaeLensCfg } {
  const { spec, params, meta } = validateSae(sae);
  const { dIn, nLatents } = spec;
  const f32 = (shape: number[], data: Float32Array): Tensor => ({ dtype: 'F32', shape, data });
  const tensors: SaeLensTensors = {
    W_enc: f32([dIn, nLatents], transpose(params.encoder, nLatents, dIn)),
    W_dec: f32([nLatents, dIn], params.decoder),
    b_enc: f32([nLatents], params.latentBias),
    b_dec: f32([dIn], params.preBias),
  };
  return { tensors, cfg: saeLensCfg(spec, meta) };
}

export interface SaeLensFiles {
  /** The weights file, for messages about tensors. */
  weightsFile?: string;
  /** The cfg.json file, for messages about its fields. */
  cfgFile?: string;
}

/**
 * The autoencoder in SAELens tensors (F32, F16 or BF16; values are copied) and a parsed
 * cfg.json. Tensors other than the four are ignored.
 * @throws SaeError 'BAD_STATE_DICT' naming the field or tensor, what it must be and what it is
 */
export function saeFromSaeLens(tensors: TensorMap, cfg: unknown, files: SaeLensFiles = {}): Sae {
  const { spec, meta } = readSaeLensCfg(cfg, files.cfgFile);
  const { dIn, nLatents } = spec;
  const from = `d_in=${dIn}, d_sae=${nLatents} in cfg.json`;
  const file = files.weightsFile;
  const wEnc = floatValues(tensors, 'W_enc', [dIn, nLatents], `[d_in, d_sae], ${from}`, file); // [dIn, nLatents]
  const params = {
    preBias: floatParam(tensors, 'b_dec', [dIn], `[d_in], ${from}`, file), // [dIn]
    latentBias: floatParam(tensors, 'b_enc', [nLatents], `[d_sae], ${from}`, file), // [nLatents]
    encoder: transpose(wEnc, dIn, nLatents), // [nLatents, dIn]
    decoder: floatParam(tensors, 'W_dec', [nLatents, dIn], `[d_sae, d_in], ${from}`, file), // [nLatents, dIn]
  };
  return validateLoaded({ spec, params, meta }, files.cfgFile ?? file);
}

