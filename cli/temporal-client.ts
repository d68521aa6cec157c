import { Client, Connection } from '@temporalio/client';
import { dataConverterFromEnv } from '../common/payload-codec';
import { temporalSettingsFromEnv, type TemporalSettings } from '../common/temporal-config';
import { explainConnectFailure, temporalConnectionOptions } from '../common/temporal-connection-options';

/** A client for the CLI; a connection failure names the address and how to change it. */
export async function withTemporalClient<T>(fn: (client: Client, settings: TemporalSettings) => Promise<T>): Promise<T> {
  const settings = temporalSettingsFromEnv();
  // Read before connecting: a bad key file is the user's error, not Temporal being away.
  const dataConverter = dataConverterFromEnv();
  const options = temporalConnectionOptions(settings);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: '5s' });
  } catch (err) {
    throw await explainConnectFailure(err, options);
  }
  try {
    return await fn(new Client({ connection, namespace: settings.namespace, ...(dataConverter ? { dataConverter } : {}) }), settings);
  } finally {
    await connection.close();
  }
}
