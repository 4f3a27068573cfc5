// Two tiers: unit tests (*.unit.test.ts, no I/O beyond the process) and integration tests
// (*.integration.test.ts) against real Kafka, Elasticsearch, PostgreSQL and Prometheus, which
// test/integration/global-setup.ts starts once per run together with the whole stack.
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};
const moduleNameMapper = {
  '^@llmops/platform/tracing$': '<rootDir>/libs/platform/src/tracing.ts',
  '^@llmops/(platform|contracts|testkit)$': '<rootDir>/libs/$1/src/index.ts',
};
const common = { rootDir: __dirname, transform, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.test.ts'], testPathIgnorePatterns: ['/node_modules/', '/dist/'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.integration.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/integration/setup-timeout.ts'],
    },
  ],
};
