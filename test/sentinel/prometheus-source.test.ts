/**
 * The Prometheus telemetry source against a real Prometheus scraping prom-client targets: series
 * become telemetry records of the sentinel's schema, published keyed by pipeline to the log and
 * consumed by a real sentinel; a target that stops answering becomes one "stopped reporting"
 * event after `afterMs`; a Prometheus that does not answer is a gap (no records, no absence).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { openLog, type Log } from '../../bindings/log';
import { startPrometheus, type ServiceHandle } from '../../infra/prometheus';
import { parseSentinelConfig } from '../../sentinel/config';
import type { IncidentOpener } from '../../sentinel/incidents';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import { PrometheusSource } from '../../sentinel/sources/prometheus';
import { parsePrometheusSourceConfig } from '../../sentinel/sources/prometheus-config';
import { telemetryRecord, type TelemetryRecord } from '../../sentinel/telemetry';
import { waitUntil } from '../simulator/support';

jest.setTimeout(120_000);


/** Records what would be opened: the sentinel here only has to consume and validate. */
const opened: string[] = [];
const quietOpener: IncidentOpener = {
  open: async (input) => void opened.push(`${input.pipeline}/${input.component}`),
  evidence: async () => false,
};

function target(component: string): { server: http.Server; counter: Counter<string>; accuracy: Gauge<string> } {
  const registry = new Registry();
  registry.setDefaultLabels({ pipeline: 'p1', component });
  const counter = new Counter({ name: 'app_records_total', help: 'records', registers: [registry] });
  const accuracy = new Gauge({ name: 'app_model_accuracy', help: 'accuracy', labelNames: ['model_version'], registers: [registry] });
  const server = http.createServer((_req, res) => void registry.metrics().then((t) => res.writeHead(200, { 'content-type': registry.contentType }).end(t)));
  return { server, counter, accuracy };
}

describe('Prometheus telemetry source', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-promsrc-'));
  const a = target('alpha');
  const b = target('beta');
  let prometheus: ServiceHandle | undefined;
  let log: Log;
  let source: PrometheusSource;
  const topic = 'telemetry';
  const ticker = setInterval(() => {
    a.counter.inc(10);
    b.counter.inc(20);
  }, 100);

  beforeAll(async () => {
    a.accuracy.set({ model_version: '3' }, 0.9);
    await Promise.all([a.server, b.server].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))));
    prometheus = await startPrometheus({
      dir: path.join(dir, 'prom'),
      jobs: [{ job: 'app', targets: [a.server, b.server].map((s) => `127.0.0.1:${(s.address() as AddressInfo).port}`) }],
    });
    log = openLog({ kind: 'embedded', file: path.join(dir, 'log.db') });
    await log.createTopic(topic, { partitions: 2 });
    const config = parsePrometheusSourceConfig({
      url: prometheus.url,
      pipelines: [
        {
          pipeline: 'p1',
          queries: [
            { expr: 'sum by (component) (rate(app_records_total[3s]))', signal: 'throughput', unit: 'records/s', absent: { event: 'HUNG', afterMs: 2_000 } },
            { expr: 'max by (component, model_version) (app_model_accuracy)', signal: 'model.accuracy', as: 'model.accuracy', labels: ['model_version'] },
            { expr: 'vector(1) > 2', signal: 'never', component: 'alpha' },
          ],
        },
      ],
    });
    source = new PrometheusSource({ ...config, url: prometheus.url }, log, topic);
    await waitUntil('both targets scraped', async () => ((await source.round()).filter((r) => r.signal === 'throughput').length === 2 ? true : undefined));
  });

  afterAll(async () => {
    clearInterval(ticker);
    await source?.stop();
    await prometheus?.stop();
    await Promise.all([a.server, b.server].map((s) => new Promise((r) => s.close(r))));
    await log?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('turns each series into a valid record of the schema, keyed by pipeline on the log', async () => {
    const records = await source.round();
    for (const r of records) expect(telemetryRecord.safeParse(r).success).toBe(true);
    const byComponent = Object.fromEntries(records.filter((r) => r.signal === 'throughput' && r.kind === 'metric').map((r) => [r.component, r.kind === 'metric' ? r.value : 0]));
    expect(byComponent.alpha).toBeGreaterThan(50);
    expect(byComponent.beta).toBeGreaterThan(byComponent.alpha!);
    expect(records.find((r) => r.kind === 'model')).toMatchObject({ component: 'alpha', accuracy: 0.9, modelVersion: '3', labels: { source: 'prometheus', model_version: '3' } });
    const onLog = (await log.read(topic, 0, 0, 1_000)).concat(await log.read(topic, 1, 0, 1_000));
    expect(onLog.length).toBeGreaterThan(0);
    expect(new Set(onLog.map((m) => m.key))).toEqual(new Set(['p1']));
  });

  it('feeds a real sentinel through the log: every record is validated and counted', async () => {
    const sentinel = new Sentinel({ log, config: parseSentinelConfig({}), factory: registryFactory, opener: quietOpener, stateFile: path.join(dir, 'sentinel.db'), topic });
    await sentinel.start();
    try {
      const published = source.stats.records;
      await waitUntil('the sentinel consumed what was published', async () => (sentinel.engine.counters.records >= published ? true : undefined));
      expect(sentinel.engine.counters.invalid).toBe(0);
      expect(sentinel.engine.monitors().map((m) => m.component).sort()).toEqual(['alpha', 'beta']);
    } finally {
      await sentinel.stop();
    }
  });

  it('a component whose target stops answering gets one "stopped reporting" event after afterMs', async () => {
    await new Promise((r) => b.server.close(r));
    b.server.closeAllConnections();
    const events: TelemetryRecord[] = [];
    await waitUntil('the absence event', async () => {
      events.push(...(await source.round()).filter((r) => r.kind === 'event'));
      return events.length > 0 ? true : undefined;
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'event', component: 'beta', event: 'HUNG', signal: 'process' });
    expect(events[0]?.kind === 'event' ? events[0].message : '').toMatch(/stopped reporting to Prometheus: no series for throughput/);
    // Sent once, not every round.
    for (let i = 0; i < 3; i++) expect((await source.round()).filter((r) => r.kind === 'event')).toEqual([]);
  });

  it('a Prometheus that does not answer is a gap: no records, failures counted, no absence clock', async () => {
    const failures = source.stats.failures;
    await prometheus!.stop();
    prometheus = undefined;
    expect(await source.round()).toEqual([]);
    expect(source.stats.failures).toBe(failures + 3);
    expect(source.stats.lastError).toBeTruthy();
  });
});
