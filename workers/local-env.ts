/**
 * The whole local environment behind `homeostat dev` and `homeostat demo`: Temporal (dev server
 * with the Web UI, or TEMPORAL_ADDRESS), optionally a Kafka broker, the live demo pipeline, a
 * sentinel watching its telemetry, and a worker whose repair templates act on that pipeline.
 * Everything started here is stopped by `stop()`, in reverse order.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createActivities } from '../activities';
import { firstToken, MIN_TOKEN_LENGTH, newToken } from '../common/bearer-auth';
import { LOCAL_KEYS_FILE, REPO_ROOT } from '../common/paths';
import { dataConverterFromEnv } from '../common/payload-codec';
import { DEFAULT_UI_PORT } from '../common/temporal-config';
import { connectOrStartKafka, targetConnectionOptions, type KafkaTarget, type TemporalTarget } from '../infra/services';
import { log } from '../infra/step';
import { ensureTemporalCli } from '../infra/temporal-cli';
import { TemporalIncidentOpener } from '../sentinel/incidents';
import { pipelinePaths } from '../simulator/config';
import { startPipeline, type PipelineHandle } from '../simulator/pipeline';
import { templateDepsForPipeline } from '../simulator/template-deps';
import { freePort } from '../infra/ports';
import { buildWorkerDeps, DEFAULT_POLICY_FILE, type WorkerDeps } from './activity-deps';
import {
  connectOrStartMlflow,
  DEMO_PROMETHEUS_SOURCE,
  policyWithModelRegistry,
  startObservability,
  type MlflowTarget,
  type ModelsKind,
  type ObservabilityKind,
  type ObservabilityTarget,
} from './observability-env';
import { anchorChain, TemporalAnchorStore } from './audit-anchor';
import { runSentinel, type RunningSentinel } from './sentinel';
import { startStack, type Stack } from './stack';

/** How long a health-triggered incident of the local environment confirms the anomaly before diagnosing. */
export const LOCAL_CONFIRM_MS = 4_000;

/** Sentinel settings tuned for the bundled demo pipeline. */
export const DEMO_SENTINEL_CONFIG = path.join(REPO_ROOT, 'policies', 'examples', 'demo-sentinel.yaml');

export interface LocalEnvOptions {
  /** Where every file of the environment lives (pipeline, sentinel state, knowledge base, dev-server db). */
  dir: string;
  port?: number;
  uiPort?: number;
  /** Run the live pipeline (and its sentinel); without it the worker can only log, wait and escalate. */
  pipeline: boolean;
  kafka: boolean;
  /** With `kafka`: use this broker instead of KAFKA_BROKERS or a broker started here. */
  brokers?: string[];
  /** Source rate, events per second. */
  rate?: number;
  /** The knowledge base file (default <dir>/knowledge.db); `dev` shares the CLI's default one. */
  kbPath?: string;
  /**
   * Shorter settle windows for a demo that should not make people wait. On Kafka at least
   * `KAFKA_SETTLE_MS`: a consumer group rebalances after a restart or a scale-out (seconds, more
   * while a member is busy with a slow batch) before the repaired stage flows again.
   */
  settleMs?: number;
  /** The environment of a fault drill: its worker may explore (IncidentDeps.drill). */
  drill?: boolean;
  print?: (line: string) => void;
  /** `prometheus`: the pipeline's metrics reach the sentinel through Prometheus and Alertmanager only. */
  observability?: ObservabilityKind;
  /** `mlflow`: the model registry is an MLflow server (the policy names it; the score stage loads by alias). */
  models?: ModelsKind;
  /** Ed25519 key signing the audit anchors; made when missing (default <dir>/audit-anchor.key). */
  anchorKeyFile?: string;
  /** Starts Temporal instead of the dev server (see StackOptions.temporal). */
  temporal?: () => Promise<TemporalTarget>;
  /** The stack's own approver keys file (default <dir>/approver-keys.yaml); `dev` uses the one `keys create` registers in. */
  keysFile?: string;
}



export const KAFKA_SETTLE_MS = 12_000;

/** An Ed25519 private key (PEM, mode 0600) at `file`, made if missing. */
export function ensureAnchorKey(file: string): void {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

/** The environment's sentinel token: kept across restarts of `dev` in one directory, mode 0600. */
function localSentinelToken(dir: string): { token: string; file: string } {
  const file = path.join(dir, 'sentinel-token');
  const existing = fs.existsSync(file) ? firstToken(fs.readFileSync(file, 'utf8')) : undefined;
  if (existing && existing.length >= MIN_TOKEN_LENGTH) return { token: existing, file };
  const token = newToken();
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file };
}

export interface LocalEnv {
  stack: Stack;
  /** The approver keys file the worker reads (public keys only). */
  keysFile: string;
  client: Client;
  deps: WorkerDeps;
  pipeline?: PipelineHandle;
  sentinel?: RunningSentinel;
  kafka?: KafkaTarget;
  /** Sentinel health API base, when a sentinel runs. */
  healthUrl?: string;
  /** Bearer token of the sentinel's HTTP API (every endpoint needs it), and the file holding it. */
  sentinelToken: string;
  sentinelTokenFile: string;
  /** Prometheus and Alertmanager, with `observability: 'prometheus'`. */
  observability?: ObservabilityTarget;
  /** The MLflow server, with `models: 'mlflow'`. */
  mlflow?: MlflowTarget;
  stop(): Promise<void>;
}

export async function startLocalEnv(o: LocalEnvOptions): Promise<LocalEnv> {
  const print = o.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  fs.mkdirSync(o.dir, { recursive: true });
  const kbPath = o.kbPath ?? path.join(o.dir, 'knowledge.db');
  const settleMs = o.settleMs === undefined ? undefined : o.kafka ? Math.max(o.settleMs, KAFKA_SETTLE_MS) : o.settleMs;
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => print(`[homeostat] cleanup: ${String(err)}`));
  };
  try {
    // Fail fast, before any process starts, when Temporal can be neither reached nor built.
    if (!process.env.TEMPORAL_ADDRESS && !o.temporal) await ensureTemporalCli();
    let kafka: KafkaTarget | undefined;
    if (o.kafka && o.brokers?.length) kafka = { brokers: o.brokers, started: false, stop: async () => undefined };
    else if (o.kafka) {
      kafka = await connectOrStartKafka({ dataDir: path.join(o.dir, 'kafka') });
      cleanups.push(() => kafka!.stop());
    }

    let mlflow: MlflowTarget | undefined;
    if (o.models === 'mlflow') {
      mlflow = await connectOrStartMlflow(path.join(o.dir, 'mlflow'));
      cleanups.push(() => mlflow!.stop());
    }
    // The policy names the model registry; with MLflow a copy of the demo policy says so.
    const policyFile = mlflow ? policyWithModelRegistry(DEFAULT_POLICY_FILE, 'demo', mlflow.binding, path.join(o.dir, 'policy.yaml')) : undefined;
    const prometheusMode = o.observability === 'prometheus';
    // The sentinel's HTTP API takes a bearer token even on loopback: an alert can start a repair,
    // so nobody else on the machine may post one. One token, made per environment; Alertmanager
    // reads it from the file (credentials_file) and the worker's probes present it.
    const { token: sentinelToken, file: sentinelTokenFile } = localSentinelToken(o.dir);

    let pipeline: PipelineHandle | undefined;
    if (o.pipeline) {
      log('[homeostat] pipeline: starting source → enrich → score → sink');
      const started = Date.now();
      pipeline = await startPipeline({
        dir: path.join(o.dir, 'pipeline'),
        log: o.kafka ? 'kafka' : 'embedded',
        ...(kafka ? { brokers: kafka.brokers, topicPrefix: `demo-${Date.now().toString(36)}` } : {}),
        ...(o.rate ? { rate: o.rate } : {}),
        ...(prometheusMode ? { metrics: 'prometheus' as const } : {}),
        ...(mlflow ? { models: mlflow.binding } : {}),
      });
      cleanups.push(() => pipeline!.stop());
      log(`[homeostat] pipeline: running (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }

    // Alertmanager's webhook is the sentinel, which starts later: its port is chosen now.
    let sentinelPort: number | undefined = prometheusMode && pipeline ? await freePort() : undefined;
    let observability: ObservabilityTarget | undefined;
    if (prometheusMode && pipeline) {
      observability = await startObservability({ dir: path.join(o.dir, 'observability'), pipelineDir: pipeline.dir, webhookUrl: `http://127.0.0.1:${sentinelPort}/alertmanager`, auth: { credentialsFile: sentinelTokenFile } });
      cleanups.push(() => observability!.stop());
    }

    const keysFile = o.keysFile ?? path.join(o.dir, LOCAL_KEYS_FILE);
    // The sentinel reports health for the worker's probes: start it before the worker's deps.
    const keyFile = o.anchorKeyFile ?? process.env.HOMEOSTAT_AUDIT_ANCHOR_KEY_FILE ?? path.join(o.dir, 'audit-anchor.key');
    ensureAnchorKey(keyFile);
    const deps = await buildWorkerDeps({
      kbPath,
      anchorKeyFile: keyFile,
      keysFile,
      ...(policyFile ? { policyFile } : {}),
      // With a policy naming MLflow, the worker's model registry binding comes from the policy.
      ...(pipeline ? { pipeline: (actuations) => templateDepsForPipeline(pipeline!, { actuations, models: pipeline!.registries }) } : {}),
      ...(settleMs !== undefined ? { settleMs } : {}),
      ...(o.drill ? { drill: true } : {}),
      healthUrlFor: () => (sentinelPort ? `http://127.0.0.1:${sentinelPort}` : undefined),
      healthToken: sentinelToken,
      ...(observability ? { alertmanagerFor: () => observability!.alertmanager } : {}),
    });
    cleanups.push(() => deps.close());

    const stack = await startStack({
      port: o.port ?? 7233,
      uiPort: o.uiPort ?? DEFAULT_UI_PORT,
      dbFile: path.join(o.dir, 'temporal.db'),
      activities: createActivities(deps),
      audit: deps.kb,
      ...(o.temporal ? { temporal: o.temporal } : {}),
    });
    cleanups.push(() => stack.stop());
    const connection = await Connection.connect(targetConnectionOptions(stack.temporal));
    cleanups.push(() => connection.close());
    const dataConverter = dataConverterFromEnv();
    const client = new Client({ connection, namespace: stack.temporal.namespace, ...(dataConverter ? { dataConverter } : {}) });
    deps.anchors?.attach(new TemporalAnchorStore(client, anchorChain()));
    // Runs before the connection closes (cleanups run in reverse): the last rows get their anchor.
    cleanups.push(async () => deps.anchors?.flush());

    let sentinel: RunningSentinel | undefined;
    if (pipeline) {
      const paths = pipelinePaths(pipeline.dir);
      sentinel = await runSentinel(
        {
          log: o.kafka ? 'kafka' : 'embedded',
          brokers: kafka?.brokers ?? [],
          logFile: paths.log,
          db: path.join(o.dir, 'sentinel.db'),
          topic: pipeline.topic('telemetry'),
          // Prefixed like the pipeline's topics and groups: two environments sharing a broker must
          // not share a consumer group (each would take the other's partitions in rebalances).
          groupId: `${pipeline.config.topicPrefix}homeostat-sentinel`,
          kb: kbPath,
          config: DEMO_SENTINEL_CONFIG,
          httpPort: sentinelPort ?? 0,
          httpTokenFile: sentinelTokenFile,
          // The policy's sensitivity tags decide whose raw samples are redacted.
          policy: policyFile ?? process.env.HOMEOSTAT_POLICY ?? DEFAULT_POLICY_FILE,
          statusEveryMs: 0,
          ...(observability ? { prometheus: DEMO_PROMETHEUS_SOURCE, prometheusUrl: observability.prometheusUrl } : {}),
          ...(settleMs !== undefined ? { settleMs } : {}),
        },
        {
          // A few seconds of confirmation before diagnosis: blips close quietly, and the evidence
          // gathered meanwhile names the fault better than the first signal that crossed a threshold.
          opener: new TemporalIncidentOpener(client, { timing: { confirmMs: LOCAL_CONFIRM_MS, ...(settleMs !== undefined ? { settleMs } : {}) } }),
          print: (line) => log(`[homeostat] ${line}`),
        },
      );
      cleanups.push(() => sentinel!.stop());
      sentinelPort = sentinel.http?.port;
    }
    return {
      stack,
      keysFile,
      client,
      deps,
      ...(pipeline ? { pipeline } : {}),
      ...(sentinel ? { sentinel } : {}),
      ...(kafka ? { kafka } : {}),
      ...(sentinelPort ? { healthUrl: `http://127.0.0.1:${sentinelPort}` } : {}),
      sentinelToken,
      sentinelTokenFile,
      ...(observability ? { observability } : {}),
      ...(mlflow ? { mlflow } : {}),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
