/**
 * The sentinel process: opens the log (embedded SQLite file or Kafka), connects lazily to
 * Temporal (the sentinel keeps consuming and queues incident actions while Temporal is away),
 * opens the knowledge base for lineage, starts the sentinel and its HTTP server, logs progress,
 * and stops gracefully (final snapshot) on SIGINT / SIGTERM.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { defaultEmbeddedLogFile, openLog, type Log } from '../bindings/log';
import { HomeostatError } from '../common/errors';
import { stateDir } from '../common/paths';
import { dataConverterFromEnv } from '../common/payload-codec';
import { temporalSettingsFromEnv } from '../common/temporal-config';
import { temporalConnectionOptions } from '../common/temporal-connection-options';
import { formatZodIssues } from '../common/zod-errors';
import { openKnowledgeBaseAt } from '../knowledge/open';
import { loadSentinelConfig, sensitivityOf, withPolicySensitivity } from '../sentinel/config';
import { startKubernetesWatchers } from '../sentinel/sources/kubernetes-from-policy';
import { loadPolicyFile } from '../policies/load';
import { assertBindAllowed, BearerTokens } from '../common/bearer-auth';
import { OPEN_ENDPOINTS, startHealthServer, type HealthServer } from '../sentinel/http';
import { RedactingOpener, redactionTags } from '../sentinel/redact';
import { TemporalIncidentOpener, type IncidentOpener } from '../sentinel/incidents';
import { SentinelMetrics } from '../sentinel/metrics';
import { registryFactory } from '../sentinel/registry-factory';
import { DEFAULT_GROUP_ID, DEFAULT_TELEMETRY_TOPIC, Sentinel } from '../sentinel/sentinel';
import { PrometheusSource, registerSourceMetrics } from '../sentinel/sources/prometheus';
import { loadPrometheusSourceConfig } from '../sentinel/sources/prometheus-config';
import { FlinkPoller, loadFlinkSourceConfig, registerFlinkSourceMetrics } from '../sentinel/sources/flink-poller';
import { TASK_QUEUE } from '../workflows/shared';

export const sentinelProcessOptions = z.strictObject({
  log: z.enum(['embedded', 'kafka']).default('embedded'),
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port')).default([]),
  /** The embedded log's SQLite file. */
  logFile: z.string().min(1).default(() => defaultEmbeddedLogFile()),
  /** The sentinel's state file (snapshots + sent ledger). */
  db: z.string().min(1).default(() => path.join(stateDir(), 'sentinel.db')),
  config: z.string().optional(),
  /** A policy file whose components' sensitivity tags (PII, PHI, PCI…) decide whose samples are redacted. */
  policy: z.string().min(1).optional(),
  /** null disables the HTTP server; 0 picks a free port. */
  httpPort: z.number().int().min(0).max(65535).nullable().default(9464),
  /** Address the HTTP server binds to; anything but loopback needs a bearer token. */
  httpHost: z.string().min(1).default('127.0.0.1'),
  /** File of bearer tokens (one per line, re-read when it changes). */
  httpTokenFile: z.string().min(1).optional(),
  /** Bearer tokens themselves (comma separated), e.g. from HOMEOSTAT_SENTINEL_HTTP_TOKENS. */
  httpTokens: z.string().min(1).optional(),
  /** Endpoints answered without a token (Kubernetes probes, a Prometheus without credentials). */
  httpOpen: z.array(z.enum(OPEN_ENDPOINTS)).default([]),
  snapshotIntervalMs: z.number().int().positive().optional(),
  topic: z.string().min(1).default(DEFAULT_TELEMETRY_TOPIC),
  groupId: z.string().min(1).default(DEFAULT_GROUP_ID),
  partitions: z.number().int().positive().default(4),
  taskQueue: z.string().min(1).default(TASK_QUEUE),
  memberId: z.string().optional(),
  /** Knowledge base for lineage; null to run without one. */
  kb: z.string().nullable().optional(),
  statusEveryMs: z.number().int().nonnegative().default(10_000),
  /** Incident timing overrides passed to started incidents (demos and tests). */
  settleMs: z.number().int().nonnegative().optional(),
  /** Prometheus source config (YAML/JSON, `prometheus:` section): PromQL results become telemetry on the topic. */
  prometheus: z.string().min(1).optional(),
  /** Prometheus base URL; else the config's `url`, else PROMETHEUS_URL. */
  prometheusUrl: z.url().optional(),
  /** Flink source config (YAML/JSON, `flink:` section): each job's REST view becomes telemetry on the topic. */
  flink: z.string().min(1).optional(),
  /** Flink REST base URL; else the config's `url`, else FLINK_REST_URL. */
  flinkUrl: z.url().optional(),
});
export type SentinelProcessOptions = z.input<typeof sentinelProcessOptions>;

export interface RunningSentinel {
  sentinel: Sentinel;
  /** The Prometheus source, when configured. */
  prometheus?: PrometheusSource;
  /** The Flink source, when configured. */
  flink?: FlinkPoller;
  http: HealthServer | null;
  metrics: SentinelMetrics;
  stop(): Promise<void>;
}

export async function runSentinel(input: SentinelProcessOptions, deps: { opener?: IncidentOpener; print?: (line: string) => void } = {}): Promise<RunningSentinel> {
  const parsed = sentinelProcessOptions.safeParse(input);
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `sentinel options: ${formatZodIssues(parsed.error).join('; ')}`);
  const o = parsed.data;
  const print = deps.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (o.log === 'kafka' && o.brokers.length === 0) throw new HomeostatError('HS_INVALID_INPUT', '--log kafka needs --brokers host:port[,host:port]');
  const own = loadSentinelConfig(o.config);
  const config = o.policy ? withPolicySensitivity(own, o.policy) : own;
  // Checked before anything starts: a bad source config must not leave a consumer running.
  const promSource = o.prometheus ? prometheusSourceOf(o.prometheus, o.prometheusUrl) : undefined;
  const flinkSource = o.flink ? flinkSourceOf(o.flink, o.flinkUrl) : undefined;
  // Also checked before anything starts: an unreadable token file or an open non-loopback bind.
  const tokens = new BearerTokens({ ...(o.httpTokenFile ? { file: o.httpTokenFile } : {}), ...(o.httpTokens ? { value: o.httpTokens } : {}) });
  if (o.httpPort !== null) assertBindAllowed(o.httpHost, tokens, 'sentinel HTTP', 'set HOMEOSTAT_SENTINEL_HTTP_TOKENS or --http-token-file');

  const log: Log = openLog(o.log === 'kafka' ? { kind: 'kafka', brokers: o.brokers, clientId: 'homeostat-sentinel' } : { kind: 'embedded', file: o.logFile });
  let connection: Connection | null = null;
  let opener = deps.opener;
  if (!opener) {
    const settings = temporalSettingsFromEnv();
    connection = Connection.lazy({
      ...temporalConnectionOptions(settings),
      // gRPC backs reconnects off up to 2 minutes: after an outage the sentinel would sit on its
      // held actions that long after Temporal is back. A few seconds is enough between tries.
      channelArgs: { 'grpc.max_reconnect_backoff_ms': 5_000, 'grpc.initial_reconnect_backoff_ms': 500 },
    });
    const dataConverter = dataConverterFromEnv();
    opener = new TemporalIncidentOpener(new Client({ connection, namespace: settings.namespace, ...(dataConverter ? { dataConverter } : {}) }), {
      taskQueue: o.taskQueue,
      callTimeoutMs: config.dispatch.sendTimeoutMs,
      ...(o.settleMs !== undefined ? { timing: { settleMs: o.settleMs } } : {}),
    });
  }
  const redacting = new RedactingOpener(opener, (p, c) => redactionTags(sensitivityOf(config, p, c), config.redactTags));
  opener = redacting;
  const kb = o.kb === null ? null : await openKnowledgeBaseAt(o.kb);

  const sentinel = new Sentinel({
    log,
    config,
    factory: registryFactory,
    opener,
    stateFile: o.db,
    topic: o.topic,
    groupId: o.groupId,
    partitions: o.partitions,
    ...(o.snapshotIntervalMs ? { snapshotIntervalMs: o.snapshotIntervalMs } : {}),
    ...(kb ? { lineage: kb } : {}),
    ...(o.memberId ? { consumer: { memberId: o.memberId } } : {}),
    logger: (line) => print(`sentinel: ${line}`),
  });
  await sentinel.start();
  const metrics = new SentinelMetrics(sentinel);
  const http =
    o.httpPort === null
      ? null
      : await startHealthServer(
          {
            views: () => sentinel.engine.monitors().map((m) => m.view()),
            trail: (pipeline, component, from, to) => sentinel.engine.monitorOf(pipeline, component)?.trail.readings(from, to),
            metrics,
            opener,
            log,
            topic: o.topic,
            settings: config.http,
            tokens,
            open: o.httpOpen,
            ...(kb ? { lineage: kb } : {}),
          },
          o.httpPort,
          o.httpHost,
        );
  let prometheus: PrometheusSource | undefined;
  if (promSource) {
    const { config: promConfig, url } = promSource;
    prometheus = new PrometheusSource({ ...promConfig, url }, log, o.topic, (line) => print(`sentinel: ${line}`));
    prometheus.start();
    registerSourceMetrics(metrics.registry, prometheus);
    print(`sentinel: reading ${promConfig.pipelines.reduce((n, p) => n + p.queries.length, 0)} PromQL expressions from ${url} every ${promConfig.intervalMs} ms`);
  }
  let flink: FlinkPoller | undefined;
  if (flinkSource) {
    flink = new FlinkPoller(flinkSource, log, o.topic, (line) => print(`sentinel: ${line}`));
    flink.start();
    registerFlinkSourceMetrics(metrics.registry, flink);
    print(`sentinel: reading ${flinkSource.jobs.length} Flink job(s) from ${flinkSource.url} every ${flinkSource.intervalMs} ms`);
  }
  // A policy naming a Kubernetes orchestration: watch those namespaces (sentinel/sources/kubernetes-watch.ts).
  const policyText = o.policy ? fs.readFileSync(o.policy, 'utf8') : '';
  const kube = o.policy && /kind:\s*kubernetes\b/.test(policyText) ? await startKubernetesWatchers(loadPolicyFile(o.policy), log, o.topic, print) : undefined;
  print(
    `sentinel ready: ${o.log} log${o.log === 'kafka' ? ` ${o.brokers.join(',')}` : ` ${o.logFile}`}, topic ${o.topic}, group ${o.groupId}, ` +
      `state ${o.db}, snapshot every ${sentinel.snapshotIntervalMs} ms${http ? `, http http://${o.httpHost}:${http.port}${tokens.configured ? ' (bearer token)' : ' (no token: loopback only)'}` : ''}`,
  );

  const status = o.statusEveryMs > 0 ? setInterval(() => print(`sentinel: ${statusLine(sentinel, metrics)}`), o.statusEveryMs) : null;
  status?.unref();
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (status) clearInterval(status);
      kube?.stop();
      await prometheus?.stop();
      await flink?.stop();
      await http?.close();
      await sentinel.stop();
      metrics.close();
      await log.close();
      await kb?.close();
      await connection?.close();
      print(`sentinel stopped: ${statusLine(sentinel, metrics)}`);
    })();
    return stopping;
  };
  return { sentinel, http, metrics, ...(prometheus ? { prometheus } : {}), ...(flink ? { flink } : {}), stop };
}

function prometheusSourceOf(file: string, urlOption: string | undefined): { config: ReturnType<typeof loadPrometheusSourceConfig>; url: string } {
  const config = loadPrometheusSourceConfig(file);
  const url = urlOption ?? config.url ?? process.env.PROMETHEUS_URL;
  if (!url) throw new HomeostatError('HS_INVALID_INPUT', `prometheus source ${file}: no url (set it in the file, pass --prometheus-url, or set PROMETHEUS_URL)`);
  return { config, url: url.replace(/\/+$/, '') };
}

export function statusLine(s: Sentinel, m: SentinelMetrics): string {
  const c = s.engine.counters;
  const lag = [...s.stats.lag.values()].reduce((a, l) => a + l.lag, 0);
  const parts = s.assignment().map((p) => p.partition);
  return (
    `records ${c.records} (${Math.round(m.recordsPerSecond)}/s), invalid ${c.invalid}, dead-lettered ${s.stats.deadLettered}, lag ${lag}, ` +
    `incidents opened ${s.dispatcher.stats.opened}, evidence ${s.dispatcher.stats.evidence}, queued ${s.dispatcher.queued}, ` +
    `undeliverable ${s.stats.undeliverable}, send failures ${s.dispatcher.stats.failures}, found delivered ${s.dispatcher.stats.foundDelivered}, ` +
    `partitions [${parts.join(',')}], snapshots ${s.stats.snapshots}`
  );
}

/** Runs until SIGINT / SIGTERM, then stops gracefully (a second signal exits at once). */
export async function runUntilSignalled(input: SentinelProcessOptions): Promise<void> {
  const running = await runSentinel(input);
  await new Promise<void>((resolve) => {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalled) process.exit(130);
      signalled = true;
      process.stdout.write(`sentinel: ${sig}, stopping (final snapshot)…\n`);
      running.stop().then(resolve, (err: unknown) => {
        process.stderr.write(`sentinel: stop failed: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function flinkSourceOf(file: string, urlOption: string | undefined): ReturnType<typeof loadFlinkSourceConfig> & { url: string } {
  const config = loadFlinkSourceConfig(file);
  const url = urlOption ?? config.url ?? process.env.FLINK_REST_URL;
  if (!url) throw new HomeostatError('HS_INVALID_INPUT', `flink source ${file}: no url (set it in the file, pass --flink-url, or set FLINK_REST_URL)`);
  return { ...config, url: url.replace(/\/+$/, '') };
}
