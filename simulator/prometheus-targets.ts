/**
 * The pipeline host's part in Prometheus: service discovery and a lag exporter.
 *  - `<dir>/prometheus-targets.json` (file_sd): one target per process slot the supervisor is
 *    meant to run — a crashed or hung slot stays listed, so Prometheus sees it down (`up == 0`)
 *    instead of silently forgetting it; a slot stopped on purpose is dropped.
 *  - `<dir>/prometheus-observer.json`: the host's own `/metrics` with each consumer group's lag,
 *    as an outside lag exporter would publish it (a stage that hangs cannot report its own lag).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Gauge, Registry } from 'prom-client';
import type { ComponentStatus } from '../bindings/orchestration/types';
import { METRIC_PREFIX, metricsDir, readTargetFile, serveMetrics, type MetricsServer } from './prometheus-exporter';

export interface FileSdGroup {
  targets: string[];
  labels: Record<string, string>;
}

export const targetsFile = (dir: string): string => path.join(dir, 'prometheus-targets.json');
export const observerTargetsFile = (dir: string): string => path.join(dir, 'prometheus-observer.json');

/** Prometheus job names of the two target files (the shipped rules and PromQL config use them). */
export const PIPELINE_JOB = 'homeostat-pipeline';
export const OBSERVER_JOB = 'homeostat-pipeline-observer';

function writeIfChanged(file: string, groups: FileSdGroup[]): void {
  const text = `${JSON.stringify(groups, null, 2)}\n`;
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    // Not written yet.
  }
  // Renamed into place: Prometheus watches the directory and must never read half a file.
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

/** Rewrites the targets file from the supervisor's slots and the processes' target files. */
export function writeTargets(dir: string, pipeline: string, statuses: ComponentStatus[]): void {
  const groups: FileSdGroup[] = [];
  for (const st of statuses) {
    for (const inst of st.instances) {
      if (inst.state === 'stopped') continue;
      const t = readTargetFile(path.join(metricsDir(dir), `${inst.id}.json`));
      if (!t) continue; // never started far enough to serve /metrics
      groups.push({ targets: [`127.0.0.1:${t.port}`], labels: { pipeline, component: st.component, instance: inst.id } });
    }
  }
  writeIfChanged(targetsFile(dir), groups);
}

export class ObserverMetrics {
  readonly registry = new Registry();
  private readonly lag: Gauge<string>;
  private server: MetricsServer | undefined;

  constructor(private readonly pipeline: string) {
    this.lag = new Gauge({ name: `${METRIC_PREFIX}consumer_lag_records`, help: 'Records in the input topic not yet committed by the consumer group', labelNames: ['pipeline', 'component'], registers: [this.registry] });
  }

  setLag(component: string, value: number): void {
    this.lag.set({ pipeline: this.pipeline, component }, value);
  }

  async start(dir: string): Promise<void> {
    this.server = await serveMetrics(this.registry);
    // honor_labels on this job: the lag's `component` is the consumer's, not the host's.
    writeIfChanged(observerTargetsFile(dir), [{ targets: [`127.0.0.1:${this.server.port}`], labels: { pipeline: this.pipeline } }]);
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}
