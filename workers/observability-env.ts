/**
 * The real observability and model-registry services of a local environment: Prometheus scraping
 * the live pipeline (file_sd targets the pipeline host writes), evaluating the demo's alert rules
 * and notifying Alertmanager, which routes to the sentinel's webhook; and MLflow as the model
 * registry. PROMETHEUS_URL, ALERTMANAGER_URL and MLFLOW_TRACKING_URI point at running servers
 * instead (then nothing is started, and those servers are the user's to configure).
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AlertmanagerClient } from '../bindings/alertmanager';
import type { ModelRegistryBinding } from '../bindings/model-registry';
import { REPO_ROOT } from '../common/paths';
import { startMlflow } from '../infra/mlflow';
import type { WebhookAuth } from '../infra/prometheus-config';
import { startAlertmanager, startPrometheus, type ServiceHandle } from '../infra/prometheus';
import { log } from '../infra/step';
import { OBSERVER_JOB, observerTargetsFile, PIPELINE_JOB, targetsFile } from '../simulator/prometheus-targets';

export const DEMO_ALERT_RULES = path.join(REPO_ROOT, 'policies', 'examples', 'demo-alerts.yaml');
export const DEMO_PROMETHEUS_SOURCE = path.join(REPO_ROOT, 'policies', 'examples', 'demo-prometheus.yaml');

export type ObservabilityKind = 'embedded' | 'prometheus';
export type ModelsKind = 'embedded' | 'mlflow';

export interface MlflowTarget {
  binding: ModelRegistryBinding;
  url: string;
  started: boolean;
  startupMs?: number;
  stop(): Promise<void>;
}

export async function connectOrStartMlflow(dir: string): Promise<MlflowTarget> {
  const existing = process.env.MLFLOW_TRACKING_URI;
  if (existing) {
    log(`[homeostat] MLflow: use MLFLOW_TRACKING_URI=${existing}`);
    return { binding: { kind: 'mlflow', trackingUri: existing, alias: 'champion' }, url: existing, started: false, stop: async () => undefined };
  }
  const server = await startMlflow({ dir });
  return { binding: { kind: 'mlflow', trackingUri: server.url, alias: 'champion' }, url: server.url, started: true, startupMs: server.startupMs, stop: server.stop };
}

export interface ObservabilityTarget {
  prometheusUrl: string;
  alertmanagerUrl: string;
  alertmanager: AlertmanagerClient;
  prometheus?: ServiceHandle;
  alertmanagerServer?: ServiceHandle;
  stop(): Promise<void>;
}

export interface ObservabilityOptions {
  /** State directory of the servers (configs, TSDB, silences). */
  dir: string;
  /** The live pipeline's directory: its file_sd target files. */
  pipelineDir: string;
  /** The sentinel's Alertmanager endpoint. */
  webhookUrl: string;
  auth?: WebhookAuth;
  ruleFiles?: string[];
}

export async function startObservability(o: ObservabilityOptions): Promise<ObservabilityTarget> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    let alertmanagerUrl = process.env.ALERTMANAGER_URL;
    let alertmanagerServer: ServiceHandle | undefined;
    if (alertmanagerUrl) log(`[homeostat] Alertmanager: use ALERTMANAGER_URL=${alertmanagerUrl}`);
    else {
      alertmanagerServer = await startAlertmanager({ dir: path.join(o.dir, 'alertmanager'), webhookUrl: o.webhookUrl, ...(o.auth ? { auth: o.auth } : {}) });
      stops.push(alertmanagerServer.stop);
      alertmanagerUrl = alertmanagerServer.url;
    }
    let prometheusUrl = process.env.PROMETHEUS_URL;
    let prometheus: ServiceHandle | undefined;
    if (prometheusUrl) log(`[homeostat] Prometheus: use PROMETHEUS_URL=${prometheusUrl}`);
    else {
      prometheus = await startPrometheus({
        dir: path.join(o.dir, 'prometheus'),
        jobs: [
          { job: PIPELINE_JOB, files: [targetsFile(o.pipelineDir)] },
          { job: OBSERVER_JOB, files: [observerTargetsFile(o.pipelineDir)], honorLabels: true },
        ],
        ruleFiles: o.ruleFiles ?? [DEMO_ALERT_RULES],
        alertmanagers: [new URL(alertmanagerUrl).host],
        // Prometheus discovers Alertmanager a few seconds in; with the default 1 m it would not
        // resend a firing alert until then.
        resendDelayMs: 1_000,
      });
      stops.push(prometheus.stop);
      prometheusUrl = prometheus.url;
    }
    return {
      prometheusUrl,
      alertmanagerUrl,
      alertmanager: new AlertmanagerClient(alertmanagerUrl),
      ...(prometheus ? { prometheus } : {}),
      ...(alertmanagerServer ? { alertmanagerServer } : {}),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A copy of `policyFile` whose pipeline `pipeline` names `binding` as its model registry: the
 * worker builds its registry binding from the policy, as it would for any pipeline.
 */
export function policyWithModelRegistry(policyFile: string, pipeline: string, binding: ModelRegistryBinding, outFile: string): string {
  const doc = YAML.parseDocument(fs.readFileSync(policyFile, 'utf8'));
  const pipelines = doc.get('pipelines') as YAML.YAMLSeq<YAML.YAMLMap>;
  const entry = pipelines.items.find((p) => p.get('name') === pipeline);
  if (!entry) throw new Error(`${policyFile}: no pipeline "${pipeline}"`);
  entry.set('bindings', doc.createNode({ modelRegistry: binding }));
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `# Generated from ${path.relative(path.dirname(outFile), policyFile)} with the ${binding.kind} model registry.\n${doc.toString()}`);
  return outFile;
}
