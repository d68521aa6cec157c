import { parseSentinelConfig } from '../../sentinel/config';
import { Engine, type PartitionSnapshot } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import type { IncidentAction } from '../../sentinel/component';
import type { LogBatch, LogRecord } from '../../bindings/log';
import { T0, interleave, lcg, metricStream } from './streams';
import type { TelemetryRecord } from '../../sentinel/telemetry';

function toRecords(recs: (TelemetryRecord | string)[], start = 0): LogRecord[] {
  return recs.map((r, i) => ({
    topic: 't',
    partition: 0,
    offset: start + i,
    key: 'p',
    value: Buffer.from(typeof r === 'string' ? r : JSON.stringify(r)),
    timestamp: 0,
    headers: {},
  }));
}

function batches(records: LogRecord[], size: number): LogBatch[] {
  const out: LogBatch[] = [];
  for (let i = 0; i < records.length; i += size) out.push({ topic: 't', partition: 0, records: records.slice(i, i + size), highWatermark: records.length });
  return out;
}

const config = parseSentinelConfig({});

describe('engine', () => {
  test('a step in one signal opens exactly one incident; later anomalies are evidence', () => {
    const engine = new Engine(config, registryFactory);
    const input = interleave(
      metricStream({ pipeline: 'p', component: 'enrich', n: 600, stepAt: 300, shift: 15 }),
      metricStream({ pipeline: 'p', component: 'sink', n: 600, seed: 99 }),
    );
    const actions: IncidentAction[] = [];
    for (const b of batches(toRecords(input), 97)) actions.push(...engine.processBatch(b).actions);
    const opens = actions.filter((a) => a.kind === 'open');
    expect(opens.map((a) => a.component)).toEqual(['enrich']);
    expect(opens[0].input?.trigger.kind).toBe('health');
    expect(opens[0].evidence.detectors?.[0].name).toBe('latency#ewma');
    expect(opens[0].evidence.samples?.length).toBeGreaterThan(0);
    // The offset of the record that opened it lies after the step.
    expect(opens[0].source.offset).toBeGreaterThanOrEqual(600);
    expect(actions.filter((a) => a.component === 'sink')).toEqual([]);
  });

  test('snapshot + restore mid-stream reproduces the uninterrupted run exactly', () => {
    const input = interleave(
      metricStream({ pipeline: 'p', component: 'a', n: 800, stepAt: 250, shift: 12 }),
      metricStream({ pipeline: 'p', component: 'b', n: 800, stepAt: 500, shift: -12, seed: 3 }),
    );
    const recs = toRecords(input);
    const straight = new Engine(config, registryFactory);
    const expected: IncidentAction[] = [];
    for (const b of batches(recs, 50)) expected.push(...straight.processBatch(b).actions);
    expect(expected.filter((a) => a.kind === 'open').length).toBe(2);

    for (const cut of [1, 333, 777, 1200]) {
      const first = new Engine(config, registryFactory);
      const got: IncidentAction[] = [];
      for (const b of batches(recs.slice(0, cut), 50)) got.push(...first.processBatch(b).actions);
      const snap = JSON.parse(JSON.stringify(first.snapshotPartition('t', 0))) as PartitionSnapshot;
      const second = new Engine(config, registryFactory);
      second.restorePartition('t', 0, cut, snap);
      for (const b of batches(recs.slice(cut), 64)) got.push(...second.processBatch(b).actions);
      expect(got).toEqual(expected);
    }
  });

  test('a hard fault opens at once; a second one while open is evidence', () => {
    const engine = new Engine(config, registryFactory);
    const ev = (event: string, ts: number) => ({ kind: 'event', v: 1, ts, pipeline: 'p', component: 'score', signal: 'process', event, exitCode: 137 });
    const r = engine.processBatch({ topic: 't', partition: 0, highWatermark: 3, records: toRecords([ev('STARTED', T0 + 1000), ev('OOMKilled', T0 + 2000), ev('CRASHED', T0 + 9000)] as never) });
    expect(r.actions.map((a) => [a.kind, a.evidence.faultHint])).toEqual([
      ['open', 'oom'],
      ['evidence', 'crash'],
    ]);
    expect(r.actions[0].input).toMatchObject({ trigger: { kind: 'hard-fault' }, faultClass: 'oom' });
  });

  test('invalid records are rejected with field and rule; valid ones flow', () => {
    const engine = new Engine(config, registryFactory);
    const good = metricStream({ pipeline: 'p', component: 'c', n: 3 });
    const r = engine.processBatch({
      topic: 't',
      partition: 0,
      highWatermark: 6,
      records: toRecords([good[0], '{"kind":"metric"', { ...good[1], value: 'x' } as never, good[2], '[]', JSON.stringify([good[0], { kind: 'nope' }])]),
    });
    expect(r.valid).toBe(3);
    expect(r.rejected.map((x) => [x.field, x.rule])).toEqual([
      ['(root)', 'json'],
      ['value', 'invalid_type'],
      ['(root)', 'empty'],
      ['[1].kind', 'invalid_union'],
    ]);
    expect(r.rejected[0].value.toString()).toBe('{"kind":"metric"');
    expect(r.rejected[1].source).toEqual({ topic: 't', partition: 0, offset: 2 });
  });
});

describe('engine: data and model telemetry', () => {
  const t0 = T0;
  const profile = (i: number, over: Record<string, unknown> = {}) => ({
    kind: 'profile',
    v: 1,
    ts: t0 + i * 1000,
    pipeline: 'p',
    component: 'enrich',
    signal: 'output',
    count: 500 + ((i * 7) % 11),
    schemaFingerprint: 'fp-1',
    nullRates: { amount: 0.01 + ((i * 3) % 5) / 1000 },
    ...over,
  });

  test('a schema fingerprint change opens a schema-drift incident at once', () => {
    const engine = new Engine(config, registryFactory);
    const recs = [...Array.from({ length: 50 }, (_, i) => profile(i)), profile(50, { schemaFingerprint: 'fp-2' })];
    const r = engine.processBatch({ topic: 't', partition: 0, highWatermark: recs.length, records: toRecords(recs as never) });
    const opens = r.actions.filter((a) => a.kind === 'open');
    expect(opens).toHaveLength(1);
    expect(opens[0].input).toMatchObject({ trigger: { kind: 'hard-fault' }, faultClass: 'schema-drift' });
    expect(opens[0].evidence.summary).toContain('fp-1 → fp-2');
  });

  test('a null-rate spike in batch profiles opens a null-spike incident through fusion', () => {
    const engine = new Engine(config, registryFactory);
    const recs = Array.from({ length: 120 }, (_, i) => (i < 80 ? profile(i) : profile(i, { nullRates: { amount: 0.4 } })));
    const r = engine.processBatch({ topic: 't', partition: 0, highWatermark: recs.length, records: toRecords(recs as never) });
    const opens = r.actions.filter((a) => a.kind === 'open');
    expect(opens).toHaveLength(1);
    expect(opens[0].input?.trigger.kind).toBe('health');
    expect(opens[0].evidence.faultHint).toBe('null-spike');
    expect(opens[0].source.offset).toBeGreaterThanOrEqual(80);
  });

  test("a model's error stream drifting up opens an accuracy-drop incident", () => {
    const engine = new Engine(config, registryFactory);
    const rnd = lcg(5);
    const recs = Array.from({ length: 3000 }, (_, i) => ({
      kind: 'model',
      v: 1,
      ts: t0 + i * 100,
      pipeline: 'p',
      component: 'score',
      signal: 'predictions',
      error: rnd() < (i < 2000 ? 0.1 : 0.5) ? 1 : 0,
    }));
    const r = engine.processBatch({ topic: 't', partition: 0, highWatermark: recs.length, records: toRecords(recs as never) });
    // No false alarm on the stationary 10% error rate; the first open follows the rise to 50%.
    const opens = r.actions.filter((a) => a.kind === 'open');
    expect(opens.length).toBeGreaterThanOrEqual(1);
    expect(opens[0].evidence).toMatchObject({ faultHint: 'accuracy-drop', layer: 'model' });
    expect(opens[0].source.offset).toBeGreaterThanOrEqual(2000);
    expect(opens[0].source.offset).toBeLessThan(2200);
  });
});
