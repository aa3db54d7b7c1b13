/**
 * @saestream/sae-core — the TopK sparse autoencoder's math on tfjs tensors, usable alone.
 * So far: choosing the tfjs backend. The autoencoder itself (encode/decode, losses, AuxK,
 * init, optimiser) lands with issue 4.
 */
export { SaeError, type SaeErrorCode } from './lib/errors';
export { initBackend, describeBackend, parseBackendRequest, BACKENDS, type BackendChoice, type BackendName, type BackendRequest } from './lib/backend';
