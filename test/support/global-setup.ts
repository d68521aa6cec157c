/**
 * Starts the suite's shared Temporal dev server and Kafka broker once, before any test file runs.
 * Workers find them through HOMEOSTAT_TEST_* variables (jest workers inherit process.env); the
 * handles stay on globalThis for global-teardown, which runs in this same process.
 */
import { startSuiteServices, type SuiteServices } from '../../infra/test-harness';

declare global {
  var __homeostatSuiteServices: SuiteServices | undefined;
}

export default async function globalSetup(): Promise<void> {
  globalThis.__homeostatSuiteServices = await startSuiteServices();
}
