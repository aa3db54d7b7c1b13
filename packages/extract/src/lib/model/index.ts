/**
 * Model files: a Hugging Face GPT-2 directory read into F32 weights, specs resolved to such a
 * directory (a path, the hub cache or hub, or the seeded tiny model), and the tokenizer.
 */
export { loadModelDir, missingModelFiles, MODEL_FILES, type LoadedModel } from './model-dir';
export { resolveModel, hubCacheDir, type ResolveOptions } from './hub';
export { writeTinyRandom, ensureTinyRandom, tinyRandomConfig, tinyRandomWeights, TINY_RANDOM_VERSION } from './tiny-random';
export { gpt2TokenizerJson, loadTokenizer, type Tokenizer } from './tokenizer';
export { mulberry32, seededNormal } from './seeded-normal';
