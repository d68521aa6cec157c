/** Jest runs TypeScript through SWC; Temporal bundles workflow code itself with webpack. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Two cores: servers (Temporal, Kafka, JVMs) compete with test workers for CPU.
  maxWorkers: 2,
  testTimeout: 180_000,
  // Files whose services are still being built (cold cache) run after those that are ready.
  testSequencer: '<rootDir>/test/support/sequencer.js',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  verbose: true,
  // Per-file durations after each run (and the slowest printed): test/support/durations-reporter.js.
  reporters: ['default', '<rootDir>/test/support/durations-reporter.js'],
};
