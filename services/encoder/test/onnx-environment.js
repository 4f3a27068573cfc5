// Jest environment for tests that run onnxruntime-node: the native binding builds its output
// tensors from this process's typed arrays, and onnxruntime-common checks them with instanceof
// against the test context's own constructors, which differ. Sharing the outer constructors
// makes the check pass (a known onnxruntime-node + Jest issue). Use with the docblock
// `@jest-environment ./services/encoder/test/onnx-environment.js`.
const { TestEnvironment } = require('jest-environment-node');

const typedArrays = [
  'ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray',
];

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of typedArrays) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxEnvironment;
