/**
 * The test suite's shared services: one Temporal dev server (headless, in memory) and one Kafka
 * broker for the whole run, plus the time-skipping server's wrapper. Started by jest's global
 * setup, handed to workers through environment variables, stopped by global teardown, which then
 * kills anything the run started and left behind (a test that forgot to tear its environment
 * down must not leave a JVM running).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { HomeostatError } from '../common/errors';
import { startDevServer } from './dev-server';
import { startKafka } from './kafka';
import { stopSharedServices } from './shared-service';
import { log } from './step';
import { ensureTestServer } from './test-server';

export const TEST_ENV = {
  temporalAddress: 'HOMEOSTAT_TEST_TEMPORAL_ADDRESS',
  kafkaBrokers: 'HOMEOSTAT_TEST_KAFKA_BROKERS',
  testServerPath: 'HOMEOSTAT_TEST_SERVER_PATH',
  /** Set in the environment of every process the run starts, so teardown can find stragglers. */
  runId: 'HOMEOSTAT_TEST_RUN_ID',
} as const;

export interface SuiteServices {
  runId: string;
  stops: (() => Promise<void>)[];
}

/**
 * Starts what the environment does not already provide (a preset HOMEOSTAT_TEST_* variable means
 * "use this one"), publishes it in process.env, and returns what teardown needs. On any failure
 * it stops what it started and throws the reason: the suite fails, it never skips.
 */
export async function startSuiteServices(): Promise<SuiteServices> {
  const runId = process.env[TEST_ENV.runId] ?? crypto.randomUUID();
  // Before anything is spawned: children inherit it.
  process.env[TEST_ENV.runId] = runId;
  const services: SuiteServices = { runId, stops: [] };

  const temporal = async (): Promise<void> => {
    if (process.env[TEST_ENV.temporalAddress]) return;
    const server = await startDevServer({ ui: false, logLevel: 'warn' });
    services.stops.push(server.stop);
    process.env[TEST_ENV.temporalAddress] = server.address;
  };
  const kafka = async (): Promise<void> => {
    if (process.env[TEST_ENV.kafkaBrokers]) return;
    const broker = await startKafka({});
    services.stops.push(broker.stop);
    process.env[TEST_ENV.kafkaBrokers] = broker.brokers.join(',');
  };
  const testServer = async (): Promise<void> => {
    if (process.env[TEST_ENV.testServerPath]) return;
    process.env[TEST_ENV.testServerPath] = await ensureTestServer();
  };

  // Sequential on purpose: parallel JVM and Go start-ups on two cores are slower in total and
  // make every readiness deadline tighter.
  const failures: string[] = [];
  for (const [name, start] of [['Temporal dev server', temporal], ['Kafka broker', kafka], ['time-skipping test server', testServer]] as const) {
    try {
      await start();
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
      break;
    }
  }
  if (failures.length > 0) {
    await stopSuiteServices(services);
    throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `the test suite's services could not start.\n${failures.join('\n')}`);
  }
  return services;
}

export async function stopSuiteServices(services: SuiteServices): Promise<void> {
  const results = await Promise.allSettled(services.stops.map((stop) => stop()));
  services.stops = [];
  for (const r of results) if (r.status === 'rejected') log(`[homeostat] stopping a test service failed: ${String(r.reason)}`);
  // The services test files shared (infra/shared-service.ts): a control plane, a Flink cluster.
  try {
    await stopSharedServices(services.runId);
  } catch (err) {
    log(`[homeostat] stopping the run's shared services failed: ${(err as Error).message}`);
  }
  const killed = killRunStragglers(services.runId);
  if (killed.length > 0) log(`[homeostat] killed processes left behind by the test run: ${killed.join(', ')}`);
}

/**
 * Server processes we may start: the dev server, JVMs (Kafka, the time-skipping server),
 * Prometheus and Alertmanager (`comm` is cut to 15 characters), MLflow with its Python workers,
 * the local Kubernetes control plane (etcd, kube-apiserver and kube-scheduler fit in 15
 * characters, kube-controller-manager shows as `kube-controller`; kwok), nginx (the TLS proxy)
 * and headless Chromium.
 */
export const SERVER_COMMANDS: ReadonlySet<string> = new Set([
  'java', 'temporal', 'prometheus', 'prometheus-aler', 'mlflow', 'python3', 'python',
  'etcd', 'kube-apiserver', 'kube-controller', 'kube-scheduler', 'kwok', 'nginx', 'chromium',
]);

/**
 * Kills every server process (see SERVER_COMMANDS) whose environment carries this run's id: only
 * processes this run started (directly or through the SDK), never another engineer's servers.
 * Returns the pids it killed.
 */
export function killRunStragglers(runId: string): number[] {
  const marker = `${TEST_ENV.runId}=${runId}`;
  const killed: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return killed; // Not Linux: nothing to sweep with.
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const command = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (!SERVER_COMMANDS.has(command)) continue;
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!environ.includes(marker)) continue;
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Gone in the meantime, or not ours to read.
    }
  }
  return killed;
}
