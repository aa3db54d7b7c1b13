/** Spliced evaluation: GPT-2's next-token loss with an SAE's reconstruction in place of a residual hook. */
export { defaultSplicedEvalConfig, validateSplicedEvalConfig, type SplicedEvalConfig } from './eval-config';
export { positionBuckets, type PositionBucket, type SpliceMeasures } from './eval-tally';
export { heldOutWindows } from './held-out';
export { crossEntropy, klDivergence } from './next-token';
export { openSplicedEval, type OpenSplicedEvalOptions, type OpenedSplicedEval } from './open-eval';
export { SplicedEval, saeSplice, type Reconstruction, type Splice, type SplicedEvalOptions, type SplicedEvalReport } from './spliced-eval';
