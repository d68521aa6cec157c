/**
 * `homeostat provision`: builds or fetches every local service ahead of time, so the first
 * `homeostat dev` or test run does not pay for it. Each part is idempotent and cached.
 */
import path from 'node:path';
import { HomeostatError, isHomeostatError } from '../common/errors';
import { cacheDir } from '../common/paths';
import { ensureFlink } from './flink';
import { ensureEnrichJobJar } from './flink-job';
import { ensureHelm } from './helm';
import { ensureKubernetes } from './kube-build';
import { ensureKafka } from './kafka';
import { ensureMlflow } from './mlflow';
import { ensurePrometheus } from './prometheus';
import { ensureKubeOpenApi } from './kube-openapi';
import { ensurePostgres, POSTGRES_URL_ENV } from './postgres';
import { ensureTemporalServer } from './temporal-server';
import { formatDuration, log } from './step';
import { ensureTemporalCli } from './temporal-cli';
import { ensureTestServer } from './test-server';

export interface ProvisionSelection {
  temporal: boolean;
  testServer: boolean;
  kafka: boolean;
  /** Prometheus and Alertmanager (Debian packages). */
  prometheus?: boolean;
  /** MLflow in its cached virtual environment. */
  mlflow?: boolean;
  /** PostgreSQL from Debian's packages (apt-get when missing). */
  postgres?: boolean;
  /** The real Temporal server, its SQL tool and the Web UI server, from the Go module proxy. */
  temporalServer?: boolean;
  /** Helm and the Kubernetes OpenAPI schema (chart rendering and validation). */
  helm?: boolean;
  /** etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (built from the Go module proxy). */
  kubernetes?: boolean;
  /** Flink's distribution and Kafka connector, and the enrich job's jar. */
  flink?: boolean;
}

export interface ProvisionResult {
  temporalCli?: string;
  testServer?: string;
  kafkaClasspathEntries?: number;
  prometheus?: string;
  mlflow?: string;
  postgresBinDir?: string;
  temporalServer?: string;
  helm?: string;
  kubernetes?: string;
  flink?: string;
  /** Why a part was skipped (an existing service named in the environment). */
  skipped: string[];
}

export async function provision(selection: ProvisionSelection): Promise<ProvisionResult> {
  const started = performance.now();
  const result: ProvisionResult = { skipped: [] };
  log(`[homeostat] provisioning into ${cacheDir()}`);
  if (selection.temporal) {
    if (process.env.TEMPORAL_ADDRESS && !process.env.TEMPORAL_CLI_PATH) {
      result.skipped.push(`Temporal CLI: TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS} names a running server`);
    } else {
      result.temporalCli = await ensureTemporalCli();
    }
  }
  if (selection.testServer) result.testServer = await ensureTestServer();
  if (selection.kafka) {
    if (process.env.KAFKA_BROKERS) {
      result.skipped.push(`Kafka: KAFKA_BROKERS=${process.env.KAFKA_BROKERS} names a running broker`);
    } else {
      result.kafkaClasspathEntries = (await ensureKafka()).classpath.length;
    }
  }
  if (selection.prometheus) {
    const bin = await ensurePrometheus();
    result.prometheus = `Prometheus ${bin.versions.prometheus} (${bin.prometheus}), Alertmanager ${bin.versions.alertmanager} (${bin.alertmanager})`;
  }
  if (selection.mlflow) {
    if (process.env.MLFLOW_TRACKING_URI) result.skipped.push(`MLflow: MLFLOW_TRACKING_URI=${process.env.MLFLOW_TRACKING_URI} names a running server`);
    else result.mlflow = (await ensureMlflow()).mlflow;
  }
  if (selection.postgres) {
    if (process.env[POSTGRES_URL_ENV]) result.skipped.push(`PostgreSQL: ${POSTGRES_URL_ENV} names a running server`);
    else result.postgresBinDir = (await ensurePostgres()).binDir;
  }
  if (selection.temporalServer) result.temporalServer = (await ensureTemporalServer()).server;
  if (selection.helm) {
    result.helm = await ensureHelm();
    await ensureKubeOpenApi();
  }
  if (selection.kubernetes) result.kubernetes = path.dirname((await ensureKubernetes()).kubeApiserver);
  if (selection.flink) {
    const dist = await ensureFlink();
    result.flink = `${dist.home} (+ ${dist.connectorJars.length} connector jars), job ${await ensureEnrichJobJar()}`;
  }
  for (const reason of result.skipped) log(`[homeostat] skipped ${reason}`);
  log(`[homeostat] provisioning finished in ${formatDuration(performance.now() - started)}`);
  return result;
}

/** Wraps unexpected failures so the CLI prints one message instead of a stack trace. */
export async function provisionOrExplain(selection: ProvisionSelection): Promise<ProvisionResult> {
  try {
    return await provision(selection);
  } catch (err) {
    if (isHomeostatError(err)) throw err;
    throw new HomeostatError('HS_PROVISION_FAILED', `provisioning failed: ${(err as Error).message}`);
  }
}
