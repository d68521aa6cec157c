/** Stops what global-setup-server.ts started: the suite's services, the real Temporal server, PostgreSQL. */
import type { PostgresHandle } from '../../infra/postgres';
import type { TemporalServerHandle } from '../../infra/temporal-server';
import { stopSuiteServices, type SuiteServices } from '../../infra/test-harness';

declare global {
  var __homeostatSuiteServices: SuiteServices | undefined;
  var __homeostatRealServer: { postgres: PostgresHandle; temporal: TemporalServerHandle } | undefined;
}

export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__homeostatSuiteServices;
  globalThis.__homeostatSuiteServices = undefined;
  if (services) await stopSuiteServices(services);
  const real = globalThis.__homeostatRealServer;
  globalThis.__homeostatRealServer = undefined;
  await real?.temporal.stop();
  await real?.postgres.stop();
}
