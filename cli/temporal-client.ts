import { Client, Connection } from '@temporalio/client';
import { HomeostatError } from '../common/errors';
import { dataConverterFromEnv } from '../common/payload-codec';
import { temporalSettingsFromEnv, type TemporalSettings } from '../common/temporal-config';

/** A client for the CLI; a connection failure names the address and how to change it. */
export async function withTemporalClient<T>(fn: (client: Client, settings: TemporalSettings) => Promise<T>): Promise<T> {
  const settings = temporalSettingsFromEnv();
  // Read before connecting: a bad key file is the user's error, not Temporal being away.
  const dataConverter = dataConverterFromEnv();
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: settings.address,
      ...(settings.tls ? { tls: settings.tls } : {}),
      ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      connectTimeout: '5s',
    });
  } catch (err) {
    throw new HomeostatError(
      'HS_SERVICE_UNAVAILABLE',
      `cannot reach Temporal at ${settings.address} (${(err as Error).message}); start one with \`npx homeostat dev\` or set TEMPORAL_ADDRESS`,
    );
  }
  try {
    return await fn(new Client({ connection, namespace: settings.namespace, ...(dataConverter ? { dataConverter } : {}) }), settings);
  } finally {
    await connection.close();
  }
}
