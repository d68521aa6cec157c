/**
 * `homeostat demo --observability prometheus --models mlflow`: the same demo on real services —
 * the pipeline's metrics reach the sentinel through Prometheus (PromQL) and Alertmanager (alert
 * rules → webhook), and its model lives in MLflow (served by alias). Without the flags the demo
 * keeps its embedded defaults.
 */
import type { Command } from 'commander';
import { z } from 'zod';

export const observabilityFlags = {
  observability: z.enum(['embedded', 'prometheus']).default('embedded'),
  models: z.enum(['embedded', 'mlflow']).default('embedded'),
};

export function addObservabilityOptions(cmd: Command): Command {
  return cmd
    .option('--observability <kind>', 'embedded (JSON telemetry) | prometheus (metrics through Prometheus + Alertmanager, both started locally)', 'embedded')
    .option('--models <kind>', 'embedded (knowledge base) | mlflow (an MLflow server started locally, the model served by alias)', 'embedded');
}

/** The services the demo prints it starts, for its opening line. */
export function observabilityLabel(f: { observability: string; models: string }): string {
  return [f.observability === 'prometheus' ? 'Prometheus, Alertmanager, ' : '', f.models === 'mlflow' ? 'MLflow, ' : ''].join('');
}

/** Where a person looks at the real services while the demo runs. */
export function observabilityLinks(env: { observability?: { prometheusUrl: string; alertmanagerUrl: string }; mlflow?: { url: string } }): string[] {
  return [
    ...(env.observability ? [`Prometheus: ${env.observability.prometheusUrl}/alerts`, `Alertmanager: ${env.observability.alertmanagerUrl}/#/silences`] : []),
    ...(env.mlflow ? [`MLflow: ${env.mlflow.url}/#/models/score-model`] : []),
  ];
}
