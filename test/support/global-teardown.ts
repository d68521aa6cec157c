/** Stops the suite's servers and kills anything the run started and left behind. */
import { stopSuiteServices, type SuiteServices } from '../../infra/test-harness';

declare global {
  var __homeostatSuiteServices: SuiteServices | undefined;
}

export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__homeostatSuiteServices;
  globalThis.__homeostatSuiteServices = undefined;
  if (services) await stopSuiteServices(services);
}
