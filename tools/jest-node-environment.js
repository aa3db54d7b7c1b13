// The Jest environment of every package (jest.preset.js). Jest runs each spec in a vm context
// with its own typed-array constructors, while the native binding makes its outputs' arrays in
// Node's main realm; onnxruntime-common then rejects them ("A float32 tensor's data must be type
// of function Float32Array()", microsoft/onnxruntime#16622). Sharing the main realm's
// constructors makes both sides agree; it also keeps `instanceof Uint8Array` true for the
// buffers Node's own modules return.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
