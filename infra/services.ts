/**
 * One entry point for "give me a Temporal server / Kafka": an existing one when the environment
 * names it (TEMPORAL_ADDRESS, KAFKA_BROKERS), otherwise a local one started here. Callers stop
 * what they got either way; stopping a server they did not start does nothing.
 */
import { Connection } from '@temporalio/client';
import { temporalSettingsFromEnv } from '../common/temporal-config';
import { explainConnectFailure, temporalConnectionOptions, type TemporalConnectionOptions } from '../common/temporal-connection-options';
import { startDevServer, type DevServerOptions } from './dev-server';
import { startKafka, type KafkaOptions } from './kafka';
import { registerSearchAttributes } from './search-attributes';
import { log, step } from './step';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** Web UI base URL when known (a dev server started with `ui: true`). */
  uiUrl: string | undefined;
  /** True when this process started the server. */
  started: boolean;
  /** How to connect (TLS, API key) when not plain `address`: set for TEMPORAL_ADDRESS. */
  connection?: TemporalConnectionOptions;
  stop(): Promise<void>;
}

export interface KafkaTarget {
  brokers: string[];
  started: boolean;
  stop(): Promise<void>;
}

/** TEMPORAL_ADDRESS (+ TEMPORAL_NAMESPACE) when set, with the search attributes registered; else a dev server. */
export async function connectOrStartTemporal(options: DevServerOptions = {}): Promise<TemporalTarget> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    const server = await startDevServer(options);
    return { ...server, started: true };
  }
  const settings = temporalSettingsFromEnv();
  const connectOptions = temporalConnectionOptions(settings);
  const namespace = process.env.TEMPORAL_NAMESPACE ?? options.namespace ?? 'default';
  await step(`Temporal: use TEMPORAL_ADDRESS=${address} (namespace ${namespace}${settings.tls ? ', TLS' : ''})`, async () => {
    let connection: Connection;
    try {
      connection = await Connection.connect({ ...connectOptions, connectTimeout: 10_000 });
    } catch (err) {
      throw await explainConnectFailure(err, connectOptions);
    }
    try {
      const added = await registerSearchAttributes(connection, namespace);
      if (added.length > 0) log(`[homeostat] Temporal: registered search attributes ${added.join(', ')}`);
    } finally {
      await connection.close();
    }
  });
  return { address, namespace, uiUrl: undefined, started: false, connection: connectOptions, stop: async () => undefined };
}

/** The options to connect to `target` with: its own (TLS, API key) or plain text on loopback. */
export function targetConnectionOptions(target: Pick<TemporalTarget, 'address' | 'connection'>): TemporalConnectionOptions {
  return target.connection ?? { address: target.address };
}

/** KAFKA_BROKERS (comma-separated host:port) when set; else a local broker. */
export async function connectOrStartKafka(options: KafkaOptions = {}): Promise<KafkaTarget> {
  const brokers = parseBrokers(process.env.KAFKA_BROKERS);
  if (brokers.length > 0) {
    log(`[homeostat] Kafka: use KAFKA_BROKERS=${brokers.join(',')}`);
    return { brokers, started: false, stop: async () => undefined };
  }
  const kafka = await startKafka(options);
  return { brokers: kafka.brokers, started: true, stop: kafka.stop };
}

export function parseBrokers(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}
