/**
 * @saestream/sae-core — OpenAI's TopK sparse autoencoder, usable alone: inference, the sparse
 * training step of train.py (loss, AuxK, dead latents, decoder constraint, Adam), init, the
 * dense autodiff reference, formats, and the tfjs backend choice.
 */
export { SaeError, type SaeErrorCode } from './lib/errors';
export { initBackend, describeBackend, parseBackendRequest, BACKENDS, type BackendChoice, type BackendName, type BackendRequest } from './lib/backend';
export { validateSae, validateSaeSpec, ACTIVATIONS, type Sae, type SaeSpec, type SaeParams, type SaeMeta, type Activation } from './lib/sae';
export { SaeModel, type EncodeResult, type ForwardResult, type LnInfo, type SparseCodes } from './lib/sae-model';
export { SparseTrainer, defaultSparseTrainerConfig, type SparseTrainerConfig, type StepMetrics, type StepDetail } from './lib/sparse-trainer';
export { initSae, defaultLr } from './lib/init';
export { geometricMedian } from './lib/geometric-median';
export { mseScaleOf, fvu, nmse } from './lib/train-loss';
export { layerNorm, undoLayerNorm } from './lib/layer-norm';
export { denseVariables, denseLoss, denseGradients, disposeDenseVariables, type DenseLossInput, type DenseVariables } from './lib/dense-reference';
export { defaultAdamConfig, type AdamConfig } from './lib/optimizer';
export { loadSae, saveSae, SAE_WEIGHTS_FILE, SAE_CFG_FILE, type SaeFile, type SaeFormat, type LoadSaeOptions, type SavedSae } from './lib/formats/sae-files';
export { saeFromOpenAiPt, saeFromOpenAiStateDict } from './lib/formats/openai-pt';
export { saeToSaeLens, saeFromSaeLens } from './lib/formats/saelens';
