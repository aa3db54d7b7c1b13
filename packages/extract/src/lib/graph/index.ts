/** GPT-2's forward pass as an ONNX graph with transformer_lens hooks as outputs, and its runner. */
export { defaultGpt2Config, gpt2ConfigFromHf, validateGpt2Config, GPT2_ACTIVATIONS, type Gpt2Activation, type Gpt2Config } from './config';
export { describeHooks, hookNames, residualStart, RESIDUAL_HOOKS } from './hooks';
export { buildGpt2Graph, type Gpt2Model, type Gpt2GraphOptions } from './gpt2-graph';
export { Gpt2Runner, type Gpt2RunnerOptions, type HookOutput } from './runner';
export { SplitGpt2Runner, type SplitGpt2RunnerOptions } from './split-runner';
