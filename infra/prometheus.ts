/**
 * Prometheus 2.42 and Alertmanager 0.25 from Debian's packages, each run as Homeostat's own
 * process: a generated config in a state directory, loopback on a free port, its own process
 * group. PROMETHEUS_PATH / ALERTMANAGER_PATH name binaries to use instead of the packages.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { binaryFromEnvOrDebian, versionOf } from './apt';
import { freePort } from './ports';
import { alertmanagerConfig, prometheusConfig, type AlertmanagerConfigInput, type PrometheusConfigInput } from './prometheus-config';
import { spawnService, waitUntilReady, type ManagedProcess } from './process';
import { formatDuration, log, step } from './step';
import { VERSIONS } from './versions';

export interface PrometheusBinaries {
  prometheus: string;
  alertmanager: string;
  versions: { prometheus: string; alertmanager: string };
}

const ALTERNATIVE =
  'install Debian\'s prometheus and prometheus-alertmanager packages, or set PROMETHEUS_PATH and ALERTMANAGER_PATH to the binaries, or PROMETHEUS_URL and ALERTMANAGER_URL to running servers';

/** `prometheus, version 2.42.0+ds (branch…` → `2.42.0+ds`. */
export function parseVersion(output: string): string | undefined {
  return /version\s+(\d+\.\d+\.\d+\S*)/.exec(output)?.[1];
}

async function checkedVersion(binary: string, pinned: string, what: string): Promise<string> {
  const version = parseVersion(await versionOf(binary)) ?? 'unknown';
  if (!version.startsWith(`${pinned}.`)) {
    throw new HomeostatError('HS_PROVISION_FAILED', `${what} at ${binary} is version ${version}; Homeostat is pinned to ${pinned}.x (infra/versions.ts). To continue: ${ALTERNATIVE}.`);
  }
  return version;
}

/** Installs the Debian packages when a binary is missing (idempotent; a lock serialises concurrent callers). */
export async function ensurePrometheus(): Promise<PrometheusBinaries> {
  const started = performance.now();
  const prometheus = await binaryFromEnvOrDebian('PROMETHEUS_PATH', ['prometheus'], 'prometheus', ALTERNATIVE);
  const alertmanager = await binaryFromEnvOrDebian('ALERTMANAGER_PATH', ['prometheus-alertmanager'], 'prometheus-alertmanager', ALTERNATIVE);
  const versions = {
    prometheus: await checkedVersion(prometheus, VERSIONS.prometheus, 'Prometheus'),
    alertmanager: await checkedVersion(alertmanager, VERSIONS.alertmanager, 'Alertmanager'),
  };
  log(`[homeostat] Prometheus ${versions.prometheus} (${prometheus}), Alertmanager ${versions.alertmanager} (${alertmanager}): ready in ${formatDuration(performance.now() - started)}`);
  return { prometheus, alertmanager, versions };
}

export interface ServiceHandle {
  /** Base URL, http://127.0.0.1:<port>. */
  url: string;
  port: number;
  pid: number;
  dir: string;
  configFile: string;
  logFile: string;
  /** Milliseconds from spawn until the server answered /-/ready. */
  startupMs: number;
  /** Rewrites the config and asks the server to reload it. */
  reconfigure(config: string): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusOptions extends Partial<PrometheusConfigInput> {
  /** Config, TSDB and log live here; a temp dir (removed on stop) when omitted. */
  dir?: string;
  port?: number;
  /** How long Prometheus waits before resending a firing alert (default 1 m; tests use 1 s). */
  resendDelayMs?: number;
  readyTimeoutMs?: number;
}

export interface AlertmanagerOptions extends Partial<AlertmanagerConfigInput> {
  dir?: string;
  port?: number;
  readyTimeoutMs?: number;
}

async function ready(url: string): Promise<boolean> {
  const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
  return res.ok;
}

async function launch(
  o: { name: string; what: string; binary: string; config: string; args: (p: { dir: string; port: number; configFile: string }) => string[] },
  where: { dir?: string; port?: number; readyTimeoutMs?: number },
): Promise<ServiceHandle> {
  const ownsDir = where.dir === undefined;
  const dir = where.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `homeostat-${o.name}-`));
  fs.mkdirSync(dir, { recursive: true });
  const port = where.port ?? (await freePort());
  const configFile = path.join(dir, `${o.name}.yml`);
  fs.writeFileSync(configFile, o.config);
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const proc: ManagedProcess = spawnService(o.name, o.binary, o.args({ dir, port, configFile }), { logFile: path.join(dir, `${o.name}.log`), cwd: dir });
  const stop = async (): Promise<void> => {
    await proc.stop(10_000);
    if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await step(`${o.what}: start on ${url}`, () => waitUntilReady(proc, () => ready(url), { timeoutMs: where.readyTimeoutMs ?? 60_000, intervalMs: 100, what: `${o.what} on ${url}` }));
  } catch (err) {
    await stop();
    throw err;
  }
  const startupMs = performance.now() - started;
  return {
    url,
    port,
    pid: proc.pid,
    dir,
    configFile,
    logFile: proc.logFile,
    startupMs,
    async reconfigure(config: string) {
      fs.writeFileSync(configFile, config);
      const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `${o.what}: reload refused (${res.status}): ${(await res.text()).slice(0, 300)}`);
    },
    stop,
  };
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<ServiceHandle> {
  const bin = await ensurePrometheus();
  const config = prometheusConfig({
    scrapeIntervalMs: options.scrapeIntervalMs ?? 1_000,
    evaluationIntervalMs: options.evaluationIntervalMs ?? 1_000,
    jobs: options.jobs ?? [],
    ruleFiles: options.ruleFiles ?? [],
    alertmanagers: options.alertmanagers ?? [],
  });
  return launch({
    name: 'prometheus',
    what: `Prometheus ${bin.versions.prometheus}`,
    binary: bin.prometheus,
    config,
    args: ({ dir, port, configFile }) => [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      '--storage.tsdb.retention.time=1d',
      `--web.listen-address=127.0.0.1:${port}`,
      // Reload after the config changes (targets, rules) without a restart.
      '--web.enable-lifecycle',
      `--rules.alert.resend-delay=${Math.max(1, Math.round((options.resendDelayMs ?? 60_000) / 1000))}s`,
      '--log.level=warn',
    ],
  }, options);
}

/**
 * Alertmanager without clustering (`--cluster.listen-address=` empty: no gossip port, so several
 * instances on one machine never find or block each other).
 */
export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<ServiceHandle> {
  const bin = await ensurePrometheus();
  if (!options.webhookUrl) throw new HomeostatError('HS_INVALID_INPUT', 'startAlertmanager: webhookUrl (the sentinel\'s /alertmanager endpoint) is required');
  const config = alertmanagerConfig({
    webhookUrl: options.webhookUrl,
    ...(options.auth ? { auth: options.auth } : {}),
    groupBy: options.groupBy ?? ['alertname', 'pipeline'],
    groupWaitMs: options.groupWaitMs ?? 1_000,
    groupIntervalMs: options.groupIntervalMs ?? 1_000,
    repeatIntervalMs: options.repeatIntervalMs ?? 3_600_000,
  });
  return launch({
    name: 'alertmanager',
    what: `Alertmanager ${bin.versions.alertmanager}`,
    binary: bin.alertmanager,
    config,
    args: ({ dir, port, configFile }) => [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
  }, options);
}
