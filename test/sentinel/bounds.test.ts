/**
 * Nothing grows without bound: pipelines, components, signals and remembered series that went
 * silent are evicted after `eviction.idleMs` of record time (measured against the newest record
 * of the partition, so a replay evicts exactly the same), and the maps and lists of one record are
 * capped by `limits` — a record over a cap is dead-lettered with the field, the rule and the
 * setting, never half-read.
 */
import type { LogRecord } from '../../bindings/log';
import { parseSentinelConfig } from '../../sentinel/config';
import { Engine } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { CLOCK } from './arbitraries';
import type { CountingOpener } from './harness';
import { localSentinel, logBatch, type LocalSentinel } from './local';

const START = CLOCK - 20 * 3_600_000;
const clock = (): number => CLOCK;

function feed(engine: Engine, recs: TelemetryRecord[]): void {
  const records: LogRecord[] = recs.map((r, i) => ({ topic: 't', partition: 0, offset: i, key: 'p', value: Buffer.from(JSON.stringify(r)), timestamp: 0, headers: {} }));
  for (let i = 0; i < records.length; i += 500) engine.processBatch({ topic: 't', partition: 0, records: records.slice(i, i + 500), highWatermark: records.length });
}

const metric = (ts: number, pipeline: string, component: string, signal: string, value = 10): TelemetryRecord => ({ kind: 'metric', v: 1, ts, pipeline, component, signal, value });

describe('eviction of what went silent', () => {
  const config = parseSentinelConfig({ eviction: { idleMs: 60_000, sweepEveryMs: 10_000 } });

  test('idle components, pipelines, signals and series go; the rest stay', () => {
    const engine = new Engine(config, registryFactory, { clock });
    const recs: TelemetryRecord[] = [];
    for (let s = 0; s < 300; s++) {
      const ts = START + s * 1_000;
      recs.push(metric(ts, 'p', 'b', 'latency', 10 + (s % 3)));
      if (s < 30) recs.push(metric(ts, 'q', 'a', 'latency'), metric(ts, 'p', 'b', 'temperature'));
      // A profile whose field names churn: one null-rate series per field.
      recs.push({ kind: 'profile', v: 1, ts, pipeline: 'p', component: 'b', signal: 'out', count: 100, schemaFingerprint: 'fp', nullRates: { [`f${s}`]: 0.01 } });
    }
    feed(engine, recs);
    const monitors = engine.monitors();
    expect(monitors.map((m) => `${m.pipeline}/${m.component}`)).toEqual(['p/b']);
    expect([...engine.partition('t', 0).pipelines.keys()]).toEqual(['p']);
    const b = monitors[0];
    expect(b.view().detectors.map((d) => d.signal).sort()).toEqual(['latency', 'out.count', 'out.null_rate', 'out.schema']);
    // One null-rate ring per field seen within the idle time (plus the fingerprints), not 300.
    expect(b.memory.size).toBeLessThanOrEqual(60 + 10 + 2);
    expect(engine.counters.evicted).toBe(1);
  });

  test('a stream that names a new component every second keeps a bounded number of monitors', () => {
    const engine = new Engine(config, registryFactory, { clock });
    let most = 0;
    const recs = Array.from({ length: 5_000 }, (_, s) => metric(START + s * 1_000, 'p', `c${s}`, 'latency'));
    for (let i = 0; i < recs.length; i += 250) {
      const part = recs.slice(i, i + 250).map((r, k) => ({ topic: 't', partition: 0, offset: i + k, key: 'p', value: Buffer.from(JSON.stringify(r)), timestamp: 0, headers: {} }));
      engine.processBatch({ topic: 't', partition: 0, records: part, highWatermark: recs.length });
      most = Math.max(most, engine.monitors().length);
    }
    // Idle time plus one sweep interval of one-second components.
    expect(most).toBeLessThanOrEqual(60 + 10 + 1);
    expect(engine.counters.evicted).toBeGreaterThan(4_900);
  });

  test('a component that comes back after eviction starts afresh', () => {
    const engine = new Engine(config, registryFactory, { clock });
    const crash = (ts: number): TelemetryRecord => ({ kind: 'event', v: 1, ts, pipeline: 'p', component: 'a', signal: 'process', event: 'CRASHED' });
    feed(engine, [crash(START), ...Array.from({ length: 100 }, (_, s) => metric(START + s * 1_000, 'p', 'b', 'latency')), crash(START + 100_000)]);
    expect(engine.monitors().find((m) => m.component === 'a')?.view().incidentsOpened).toBe(1);
    expect(engine.counters.evicted).toBe(1);
  });
});

describe('caps on what one record may hold', () => {
  let local: LocalSentinel<CountingOpener>;
  afterEach(async () => {
    await local.close();
  });
  const base = { v: 1, ts: CLOCK - 1_000, pipeline: 'p', component: 'c' };
  const many = (n: number, value: (i: number) => unknown = () => 0): Record<string, unknown> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, value(i)]));

  test('over-full maps and lists are dead-lettered with the field, the rule and the setting', async () => {
    local = localSentinel({ clock });
    const bins = 150;
    const messages = [
      { kind: 'metric', ...base, signal: 'x', value: 1, labels: many(33, () => 'v') },
      { kind: 'profile', ...base, signal: 'out', count: 1, schemaFingerprint: 'fp', nullRates: many(257) },
      { kind: 'profile', ...base, signal: 'out', count: 1, schemaFingerprint: 'fp', nullRates: {}, histograms: { amount: { edges: Array.from({ length: bins + 1 }, (_, i) => i), counts: Array.from({ length: bins }, () => 1) } } },
      { kind: 'schema', ...base, signal: 'out', fingerprint: 'fp', fields: Array.from({ length: 1_001 }, (_, i) => ({ name: `f${i}`, type: 'int' })) },
      { kind: 'lineage', ...base, signal: 'l', job: { namespace: 'n', name: 'j' }, inputs: Array.from({ length: 201 }, (_, i) => ({ namespace: 'n', name: `d${i}` })), outputs: [] },
      { kind: 'metric', ...base, signal: 'x', value: 1, labels: { note: 'x'.repeat(1_025) } },
      { kind: 'metric', ...base, signal: 'x', value: 1, labels: many(32, () => 'v') },
    ].map((m) => JSON.stringify(m));
    const r = await local.sentinel.handleBatch(logBatch(local.topic, 0, 0, messages));
    expect(r.valid).toBe(1);
    expect(r.rejected.map((x) => [x.field, x.rule, x.source?.offset])).toEqual([
      ['labels', 'too_big', 0],
      ['nullRates', 'too_big', 1],
      ['histograms.amount.counts', 'too_big', 2],
      ['fields', 'too_big', 3],
      ['inputs', 'too_big', 4],
      ['labels.note', 'too_big', 5],
    ]);
    expect(r.rejected[0].reason).toBe('labels: 33 entries exceed the cap of 32 (limits.labels)');
    expect(r.rejected[2].reason).toBe('histograms.amount.counts: 150 bins exceed the cap of 100 (limits.histogramBins)');
    expect(local.deadLetters()).toHaveLength(6);
  });

  test('the caps are settings', async () => {
    local = localSentinel({ clock, config: { limits: { labels: 2, schemaFields: 3 } } });
    const r = await local.sentinel.handleBatch(
      logBatch(local.topic, 0, 0, [
        JSON.stringify({ kind: 'metric', ...base, signal: 'x', value: 1, labels: many(3, () => 'v') }),
        JSON.stringify({ kind: 'schema', ...base, signal: 'out', fingerprint: 'fp', fields: Array.from({ length: 3 }, (_, i) => ({ name: `f${i}`, type: 'int' })) }),
      ]),
    );
    expect(r.valid).toBe(1);
    expect(r.rejected.map((x) => x.reason)).toEqual(['labels: 3 entries exceed the cap of 2 (limits.labels)']);
  });
});
