/**
 * The same tests, against the real Temporal server (PostgreSQL persistence and visibility)
 * instead of the dev server: `npx jest -c jest.server.config.js`. A representative subset, not
 * every file, to stay inside the CI budget (see docs/scale-out.md for the choice):
 * auto-heal, the safety layer, duplicate anomalies, approvals (update + signal + timeout),
 * the worker SIGKILL mid-execute, the dev-server approval flow with its visibility queries,
 * re-probing, and the end-to-end replay with a worker SIGKILL on the live pipeline.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/test/workflows/incident-auto-heal.test.ts',
    '<rootDir>/test/workflows/incident-safety.test.ts',
    '<rootDir>/test/workflows/incident-duplicates.test.ts',
    '<rootDir>/test/workflows/incident-approvals.test.ts',
    '<rootDir>/test/workflows/incident-worker-crash.test.ts',
    '<rootDir>/test/workflows/approval-dev-server.test.ts',
    '<rootDir>/test/workflows/reprobe-inconclusive.test.ts',
    '<rootDir>/test/e2e/replay-worker-kill.test.ts',
  ],
  // Its durations are the real server's: kept apart from the ones the sequencer orders by.
  reporters: ['default', ['<rootDir>/test/support/durations-reporter.js', { file: 'test-durations-server.json' }]],
  globalSetup: '<rootDir>/test/support/global-setup-server.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown-server.ts',
};
