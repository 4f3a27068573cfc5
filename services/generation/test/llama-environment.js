// Jest environment for tests that run the embedded model: node-llama-cpp is an ES module with
// top-level await, and Jest's module sandbox cannot import() it without
// --experimental-vm-modules. This file runs outside the sandbox, where import() is native, and
// hands the loaded module to the tests. Use with the docblock
// `@jest-environment ./services/generation/test/llama-environment.js`.
const { TestEnvironment } = require('jest-environment-node');

class LlamaEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.global.__loadNodeLlamaCpp = () => import('node-llama-cpp');
  }
}

module.exports = LlamaEnvironment;
