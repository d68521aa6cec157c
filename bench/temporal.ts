/** The Temporal a benchmark talks to: HOMEOSTAT_BENCH_TEMPORAL_ADDRESS, or a dev server started for the run. */
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../infra/dev-server';

/** Connects (starting a dev server when no address is given); pushes what must be stopped onto `stops`. */
export async function benchTemporalClient(stops: (() => Promise<void>)[]): Promise<Client> {
  let address = process.env.HOMEOSTAT_BENCH_TEMPORAL_ADDRESS;
  if (!address) {
    const t = await startDevServer({ ui: false, logLevel: 'warn' });
    stops.push(t.stop);
    address = t.address;
  }
  const connection = await Connection.connect({ address });
  stops.push(() => connection.close());
  return new Client({ connection });
}
