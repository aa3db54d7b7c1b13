/** GPT-2's forward pass as an ONNX graph with transformer_lens hooks as outputs, and its runner. */
export { defaultGpt2Config, gpt2ConfigFromHf, validateGpt2Config, GPT2_ACTIVATIONS, type Gpt2Activation, type Gpt2Config } from './config';
export { describeHooks, hookNames } from './hooks';
export { buildGpt2Graph, type Gpt2Model } from './gpt2-graph';
export { Gpt2Runner, type Gpt2RunnerOptions, type HookOutput } from './runner';
