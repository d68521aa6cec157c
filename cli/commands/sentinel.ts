import { type Command } from 'commander';
import { HomeostatError } from '../../common/errors';
import { runUntilSignalled, type SentinelProcessOptions } from '../../workers/sentinel';

/** Flags win over environment variables; both are validated by the worker's zod schema. */
const ENV = {
  log: 'HOMEOSTAT_SENTINEL_LOG',
  brokers: 'HOMEOSTAT_KAFKA_BROKERS',
  logFile: 'HOMEOSTAT_LOG_FILE',
  db: 'HOMEOSTAT_SENTINEL_DB',
  config: 'HOMEOSTAT_SENTINEL_CONFIG',
  policy: 'HOMEOSTAT_POLICY',
  httpPort: 'HOMEOSTAT_SENTINEL_HTTP_PORT',
  httpHost: 'HOMEOSTAT_SENTINEL_HTTP_HOST',
  httpTokenFile: 'HOMEOSTAT_SENTINEL_HTTP_TOKEN_FILE',
  httpTokens: 'HOMEOSTAT_SENTINEL_HTTP_TOKENS',
  httpOpen: 'HOMEOSTAT_SENTINEL_HTTP_OPEN',
  snapshotInterval: 'HOMEOSTAT_SENTINEL_SNAPSHOT_INTERVAL_MS',
  topic: 'HOMEOSTAT_TELEMETRY_TOPIC',
  group: 'HOMEOSTAT_SENTINEL_GROUP',
  taskQueue: 'HOMEOSTAT_TASK_QUEUE',
  memberId: 'HOMEOSTAT_SENTINEL_MEMBER_ID',
  kb: 'HOMEOSTAT_KB',
  prometheus: 'HOMEOSTAT_PROMETHEUS_SOURCE',
  prometheusUrl: 'PROMETHEUS_URL',
  flink: 'HOMEOSTAT_FLINK_SOURCE',
  flinkUrl: 'FLINK_REST_URL',
} as const;

interface Flags {
  log?: string;
  brokers?: string;
  logFile?: string;
  db?: string;
  config?: string;
  policy?: string;
  httpPort?: string;
  httpHost?: string;
  httpTokenFile?: string;
  httpOpen?: string;
  snapshotInterval?: string;
  topic?: string;
  group?: string;
  partitions?: string;
  taskQueue?: string;
  memberId?: string;
  kb?: string | false;
  status?: string;
  settleMs?: string;
  prometheus?: string;
  prometheusUrl?: string;
  flink?: string;
  flinkUrl?: string;
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new HomeostatError('HS_INVALID_INPUT', `${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

export function optionsFromFlags(f: Flags, env: NodeJS.ProcessEnv = process.env): SentinelProcessOptions {
  const pick = (flag: string | undefined, key: keyof typeof ENV): string | undefined => flag ?? env[ENV[key]];
  const brokers = pick(f.brokers, 'brokers');
  const httpPort = pick(f.httpPort, 'httpPort');
  const kb = f.kb === false ? null : pick(f.kb, 'kb');
  const httpOpen = pick(f.httpOpen, 'httpOpen');
  // Tokens come from the environment or a file only: a flag would show in `ps`.
  const httpTokens = env[ENV.httpTokens];
  return {
    log: pick(f.log, 'log') as SentinelProcessOptions['log'],
    ...(brokers ? { brokers: brokers.split(',').map((b) => b.trim()).filter(Boolean) } : {}),
    logFile: pick(f.logFile, 'logFile'),
    db: pick(f.db, 'db'),
    config: pick(f.config, 'config'),
    policy: pick(f.policy, 'policy') || undefined,
    httpPort: httpPort === 'off' ? null : int('--http-port', httpPort),
    httpHost: pick(f.httpHost, 'httpHost') || undefined,
    httpTokenFile: pick(f.httpTokenFile, 'httpTokenFile') || undefined,
    ...(httpTokens ? { httpTokens } : {}),
    ...(httpOpen ? { httpOpen: httpOpen.split(',').map((x) => x.trim()).filter(Boolean) as NonNullable<SentinelProcessOptions['httpOpen']> } : {}),
    snapshotIntervalMs: int('--snapshot-interval', pick(f.snapshotInterval, 'snapshotInterval')),
    topic: pick(f.topic, 'topic'),
    groupId: pick(f.group, 'group'),
    partitions: int('--partitions', f.partitions),
    taskQueue: pick(f.taskQueue, 'taskQueue'),
    memberId: pick(f.memberId, 'memberId'),
    ...(kb !== undefined ? { kb } : {}),
    statusEveryMs: int('--status', f.status),
    settleMs: int('--settle-ms', f.settleMs),
    prometheus: pick(f.prometheus, 'prometheus'),
    prometheusUrl: pick(f.prometheusUrl, 'prometheusUrl'),
    flink: pick(f.flink, 'flink'),
    flinkUrl: pick(f.flinkUrl, 'flinkUrl'),
  };
}

export function register(program: Command): void {
  program
    .command('sentinel')
    .description('consume telemetry, detect anomalies, open incidents (runs until SIGINT/SIGTERM)')
    .option('--log <kind>', `embedded | kafka (env ${ENV.log}; default embedded)`)
    .option('--brokers <list>', `Kafka brokers host:port,… (env ${ENV.brokers})`)
    .option('--log-file <file>', `embedded log SQLite file (env ${ENV.logFile}; default .homeostat/log.db)`)
    .option('--db <file>', `sentinel state file: snapshots and sent ledger (env ${ENV.db}; default .homeostat/sentinel.db)`)
    .option('--config <file>', `sentinel config, YAML/JSON or a policy file with a sentinel: section (env ${ENV.config})`)
    .option('--policy <file>', `policy whose components' sensitivity tags (PII, PHI, PCI) get their raw samples redacted (env ${ENV.policy})`)
    .option('--http-port <port>', `health and metrics port, 0 = any, off = none (env ${ENV.httpPort}; default 9464)`)
    .option('--http-host <address>', `address the HTTP server binds to; not loopback needs a token (env ${ENV.httpHost}; default 127.0.0.1)`)
    .option('--http-token-file <file>', `bearer tokens, one per line, re-read on change (env ${ENV.httpTokenFile}; or the tokens in ${ENV.httpTokens})`)
    .option('--http-open <list>', `endpoints answered without a token: health,metrics (env ${ENV.httpOpen}; default none)`)
    .option('--snapshot-interval <ms>', `snapshot interval in ms (env ${ENV.snapshotInterval}; default from config, 5000)`)
    .option('--topic <name>', `telemetry topic (env ${ENV.topic}; default homeostat.telemetry)`)
    .option('--group <id>', `consumer group (env ${ENV.group}; default homeostat-sentinel)`)
    .option('--partitions <n>', 'partitions when the sentinel creates the topic (default 4)')
    .option('--task-queue <name>', `Temporal task queue of incident workflows (env ${ENV.taskQueue})`)
    .option('--member-id <id>', `stable member id on the embedded log (env ${ENV.memberId})`)
    .option('--kb <file>', `knowledge base for lineage (env ${ENV.kb}; default .homeostat/knowledge.db)`)
    .option('--no-kb', 'run without a knowledge base (lineage is not recorded)')
    .option('--status <ms>', 'progress line interval in ms, 0 = none (default 10000)')
    .option('--settle-ms <ms>', 'settle window passed to incidents the sentinel starts (demos, tests)')
    .option('--prometheus <file>', `Prometheus source: PromQL expressions per pipeline, published as telemetry (env ${ENV.prometheus}; e.g. policies/examples/demo-prometheus.yaml)`)
    .option('--prometheus-url <url>', `Prometheus base URL for --prometheus (env ${ENV.prometheusUrl})`)
    .option('--flink <file>', `Flink source: jobs per pipeline stage read through the REST API, published as telemetry (env ${ENV.flink})`)
    .option('--flink-url <url>', `Flink REST base URL for --flink (env ${ENV.flinkUrl})`)
    .action(async (flags: Flags) => {
      await runUntilSignalled(optionsFromFlags(flags));
    });
}
