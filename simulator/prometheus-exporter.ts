/**
 * Every process of the live pipeline serves `/metrics` in Prometheus's text format (prom-client):
 * records processed, per-record latency as a histogram, errors, quarantined and shed records,
 * the model's accuracy and predictions, heartbeats, and the process's own memory and CPU
 * (prom-client's default metrics). A pipeline instrumented like this needs nothing of Homeostat
 * to be watched: Prometheus scrapes it and the sentinel reads Prometheus.
 *
 * The exporter translates the same SimSignals the JSON telemetry carries, so both views agree.
 * Each process writes `<dir>/metrics/<instance>.json` ({port, pid}) for the pipeline host's
 * service discovery and binds the same port again after a restart when it can, so Prometheus
 * sees one target go down and come back rather than one vanish and another appear.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SimSignal } from './telemetry-records';

export const METRIC_PREFIX = 'homeostat_pipeline_';

/** Seconds: a healthy stage answers in milliseconds, a backlogged one in seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface TargetFile {
  port: number;
  pid: number;
  component: string;
  instance: string;
}

export const metricsDir = (pipelineDir: string): string => path.join(pipelineDir, 'metrics');

export class PipelineMetrics {
  readonly registry = new Registry();
  private readonly records: Counter<string>;
  private readonly throughput: Gauge<string>;
  private readonly latency: Histogram<string>;
  private readonly counters: Record<'errors' | 'quarantined' | 'shed', Counter<string>>;
  private readonly heartbeat: Gauge<string>;
  private readonly accuracy: Gauge<string>;
  private readonly predictions: Counter<string>;
  private readonly modelInfo: Gauge<string>;
  private lastThroughputAt = Date.now();
  private servingVersion: string | undefined;

  constructor(labels: { pipeline: string; component: string; instance: string }) {
    const r = this.registry;
    r.setDefaultLabels(labels);
    collectDefaultMetrics({ register: r });
    const p = METRIC_PREFIX;
    this.records = new Counter({ name: `${p}records_total`, help: 'Records consumed (processed, quarantined or shed)', registers: [r] });
    this.throughput = new Gauge({ name: `${p}throughput_records_per_second`, help: 'Records consumed per second over the last reporting second', registers: [r] });
    this.latency = new Histogram({ name: `${p}record_latency_seconds`, help: 'Time from an event\'s creation at the source to its processing here', buckets: LATENCY_BUCKETS, registers: [r] });
    this.counters = {
      errors: new Counter({ name: `${p}errors_total`, help: 'Records that could not be processed', registers: [r] }),
      quarantined: new Counter({ name: `${p}quarantined_total`, help: 'Records set aside to the dead-letter topic', registers: [r] }),
      shed: new Counter({ name: `${p}shed_total`, help: 'Records dropped by load shedding', registers: [r] }),
    };
    this.heartbeat = new Gauge({ name: `${p}heartbeat_timestamp_seconds`, help: 'When the process last heartbeat (Unix seconds)', registers: [r] });
    this.accuracy = new Gauge({ name: `${p}model_accuracy`, help: 'Rolling accuracy of the serving model on labelled predictions', labelNames: ['model_version'], registers: [r] });
    this.predictions = new Counter({ name: `${p}model_predictions_total`, help: 'Labelled predictions by outcome', labelNames: ['model_version', 'outcome'], registers: [r] });
    this.modelInfo = new Gauge({ name: `${p}model_info`, help: '1 for the model version this process serves', labelNames: ['model', 'version', 'source'], registers: [r] });
  }

  /** Per-record latency (ms), from the stage's own measurement. */
  recordLatency(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.latency.observe(ms / 1000);
  }

  /** The model version being served and where it came from (registry pin or MLflow alias). */
  serving(model: string, version: string, source: string): void {
    this.modelInfo.reset();
    this.modelInfo.set({ model, version, source }, 1);
    if (this.servingVersion !== undefined && this.servingVersion !== version) this.accuracy.remove({ model_version: this.servingVersion });
    this.servingVersion = version;
  }

  observe(s: SimSignal): void {
    if (s.kind === 'model-error') {
      this.predictions.inc({ model_version: s.modelVersion, outcome: s.error === 1 ? 'error' : 'correct' });
      return;
    }
    if (s.kind === 'model-metric') {
      this.accuracy.set({ model_version: s.modelVersion }, s.value);
      return;
    }
    if (s.kind !== 'metric' || !Number.isFinite(s.value)) return;
    switch (s.name) {
      case 'throughput': {
        // Stages report a rate once a second; the counter integrates it over the real interval.
        const now = Date.now();
        this.records.inc(Math.max(0, s.value) * ((now - this.lastThroughputAt) / 1000));
        this.lastThroughputAt = now;
        this.throughput.set(s.value);
        return;
      }
      case 'errors':
      case 'quarantined':
      case 'shed':
        // Reported per second as counts since the last report.
        if (s.value > 0) this.counters[s.name].inc(s.value);
        return;
      case 'heartbeat':
        this.heartbeat.set(Date.now() / 1000);
        return;
      default:
        return; // latency (histogram above), memory (default metrics), lag (the host's exporter)
    }
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves `registry` on 127.0.0.1, on `preferredPort` when free, else on any free port. */
export async function serveMetrics(registry: Registry, preferredPort?: number): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(preferredPort ?? 0);
  } catch {
    await listen(0);
  }
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function readTargetFile(file: string): TargetFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as TargetFile;
  } catch {
    return undefined;
  }
}

/** Writes `<dir>/metrics/<instance>.json` atomically (the host may read it at any moment). */
export function writeTargetFile(pipelineDir: string, t: TargetFile): void {
  const dir = metricsDir(pipelineDir);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${t.instance}.json`);
  fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(t));
  fs.renameSync(`${file}.${process.pid}.tmp`, file);
}
