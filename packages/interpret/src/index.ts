/**
 * @saestream/interpret — what an SAE's latents respond to: one streaming pass of activations
 * through the encoder keeping, per latent and in bounded memory, the top contexts, density,
 * mean/max, a histogram and examples across quantiles; joined back to the text; logit effects;
 * Parquet tables and a static viewer.
 *
 * A stage: it may import @saestream/io and @saestream/sae-core, never another stage.
 */
export { InterpretError, type InterpretErrorCode } from './lib/errors';
export { defaultInterpretConfig, validateInterpretConfig, type InterpretConfig } from './lib/config';
export { runInterpret, checkPairing, type HeaderEval, type InterpretInputs, type InterpretOptions, type InterpretSummary } from './lib/run-interpret';
export { interpretPass, type PassProgress } from './lib/interpret-pass';
export { LatentStats, type Example, type ContextCodes } from './lib/latent-stats';
export { parseLatentSelection } from './lib/latent-selection';
export { TokenText, vocabFromTokenizerJson, renderBytes, tokenBytes } from './lib/token-text';
export { logitEffects, type LogitEffects } from './lib/logit-effects';
export { type LatentRecord, type ExampleRecord } from './lib/report';
export { VIEWER_ASSETS } from './lib/outputs';
