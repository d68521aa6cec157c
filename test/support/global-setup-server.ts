/**
 * Global setup of the real-server run (jest.server.config.js): a PostgreSQL server, the real
 * Temporal server on it (built from the Go module proxy, cached), and then the suite's usual
 * services with HOMEOSTAT_TEST_TEMPORAL_ADDRESS pointing at the real server — so the same test
 * files that run against the dev server run against it unchanged.
 */
import { startPostgres, type PostgresHandle } from '../../infra/postgres';
import { startTemporalServer, type TemporalServerHandle } from '../../infra/temporal-server';
import { startSuiteServices, TEST_ENV, type SuiteServices } from '../../infra/test-harness';

declare global {
  var __homeostatSuiteServices: SuiteServices | undefined;
  var __homeostatRealServer: { postgres: PostgresHandle; temporal: TemporalServerHandle } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const postgres = await startPostgres({ maxConnections: 300 });
  try {
    const temporal = await startTemporalServer({ postgres });
    globalThis.__homeostatRealServer = { postgres, temporal };
    process.env[TEST_ENV.temporalAddress] = temporal.address;
    globalThis.__homeostatSuiteServices = await startSuiteServices();
  } catch (err) {
    await globalThis.__homeostatRealServer?.temporal.stop();
    await postgres.stop();
    throw err;
  }
}
