/**
 * The sentinel's measurement trail (sentinel/trail.ts): one bucket per record-time second with
 * the worst health index, the highest latency, the lowest accuracy and the loss from shed over
 * throughput; range queries clamped to the trail's 10 minutes; the ring forgetting what is older
 * than that; fed from the component's records and fused health; dropped with an idle component;
 * never part of the snapshot.
 */
import type { LogRecord } from '../../bindings/log';
import { parseSentinelConfig } from '../../sentinel/config';
import { Engine } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import type { ComponentRecord } from '../../sentinel/records';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { Trail, TRAIL_MS } from '../../sentinel/trail';
import { CLOCK } from './arbitraries';

const S0 = 1_700_000_000_000; // a whole second
const metric = (ts: number, signal: string, value: number, component = 'c', instance = 'i0'): ComponentRecord => ({ kind: 'metric', v: 1, ts, pipeline: 'p', component, signal, value, labels: { instance } });
const accuracy = (ts: number, value: number): ComponentRecord => ({ kind: 'model', v: 1, ts, pipeline: 'p', component: 'c', signal: 'model.accuracy', accuracy: value, n: 100 });

function trailOf(recs: ComponentRecord[]): Trail {
  const t = new Trail();
  for (const r of recs) t.record(r);
  return t;
}

describe('buckets', () => {
  test('one reading per second: worst health, highest latency, lowest quality; absent figures absent', () => {
    const t = trailOf([metric(S0 + 100, 'latency_ms', 40), metric(S0 + 900, 'latency_ms', 75), metric(S0 + 500, 'latency_ms', 60), accuracy(S0 + 200, 0.91), accuracy(S0 + 800, 0.84), accuracy(S0 + 999, 0.88)]);
    t.health(S0 + 10, 0.9);
    t.health(S0 + 20, 0.35);
    t.health(S0 + 30, 0.6);
    t.health(S0 + 1_000, 0.7);
    // Other metrics add no figure and make no bucket.
    t.record(metric(S0 + 3_000, 'lag', 12));
    expect(t.readings(S0, S0 + 5_000)).toEqual([
      { at: S0, healthIndex: 0.35, latencyMs: 75, quality: 0.84 },
      { at: S0 + 1_000, healthIndex: 0.7 },
    ]);
  });

  test('loss is Σ shed over Σ throughput of the second, only with both; no throughput at all is total loss', () => {
    const t = trailOf([
      // Two instances of one stage, each reporting its consumed rate (shed included) and its shed count.
      metric(S0, 'throughput', 100, 'c', 'a'),
      metric(S0 + 1, 'shed', 10, 'c', 'a'),
      metric(S0 + 2, 'throughput', 100, 'c', 'b'),
      metric(S0 + 3, 'shed', 30, 'c', 'b'),
      metric(S0 + 1_000, 'shed', 5),
      metric(S0 + 2_000, 'throughput', 50),
      metric(S0 + 3_000, 'throughput', 0),
      metric(S0 + 3_000, 'shed', 0),
      metric(S0 + 4_000, 'throughput', 0),
      metric(S0 + 4_000, 'shed', 3),
      metric(S0 + 5_000, 'throughput', 10),
      metric(S0 + 5_000, 'shed', 25),
      // Negative values are neither rates nor counts: ignored.
      metric(S0 + 6_000, 'throughput', -1),
      metric(S0 + 6_000, 'shed', 1),
      metric(S0 + 6_000, 'latency_ms', -5),
    ]);
    expect(t.readings(S0, S0 + 6_999)).toEqual([{ at: S0, loss: 0.2 }, { at: S0 + 1_000 }, { at: S0 + 2_000 }, { at: S0 + 3_000, loss: 0 }, { at: S0 + 4_000, loss: 1 }, { at: S0 + 5_000, loss: 1 }, { at: S0 + 6_000 }]);
  });

  test('health indexes outside [0, 1] are clamped', () => {
    const t = new Trail();
    t.health(S0, 1.5);
    t.health(S0 + 1_000, -0.2);
    expect(t.readings(S0, S0 + 1_000).map((r) => r.healthIndex)).toEqual([1, 0]);
  });
});

describe('range queries', () => {
  const t = new Trail();
  for (let s = 0; s < 20; s++) t.health(S0 + s * 1_000 + 500, s / 20);

  test('the seconds overlapping [from, to], oldest first, each at its start', () => {
    expect(t.readings(S0 + 2_700, S0 + 5_000).map((r) => r.at)).toEqual([S0 + 2_000, S0 + 3_000, S0 + 4_000, S0 + 5_000]);
    expect(t.readings(S0 + 3_000, S0 + 3_000)).toEqual([{ at: S0 + 3_000, healthIndex: 0.15 }]);
    expect(t.readings(S0 - 10_000, S0 - 1)).toEqual([]);
    expect(t.readings(S0 + 30_000, S0 + 60_000)).toEqual([]);
  });

  test('a span longer than the trail is clamped to its last 10 minutes', () => {
    const long = new Trail();
    for (let s = 0; s <= 700; s++) long.health(S0 + s * 1_000, 0.5);
    const r = long.readings(S0, S0 + 700_000);
    expect(r).toHaveLength(TRAIL_MS / 1_000);
    expect(r[0].at).toBe(S0 + 101_000);
    expect(r[r.length - 1].at).toBe(S0 + 700_000);
    // Clamped against `to`, even past the newest data.
    const past = long.readings(0, S0 + 800_000);
    expect([past.length, past[0].at, past[past.length - 1].at]).toEqual([501, S0 + 200_000, S0 + 700_000]);
  });
});

describe('the ring', () => {
  test('after 10 minutes a second is forgotten, whether or not its slot was reused', () => {
    const t = new Trail();
    t.health(S0, 0.1);
    t.health(S0 + 5_000, 0.2);
    t.health(S0 + 599_000, 0.3);
    expect(t.readings(S0, S0 + 600_000).map((r) => r.at)).toEqual([S0, S0 + 5_000, S0 + 599_000]);
    // S0 + 600 s lands in S0's slot: S0 is gone, its figures do not leak into the new second.
    t.record(metric(S0 + 600_000, 'latency_ms', 9));
    expect(t.readings(S0, S0 + 600_000)).toEqual([
      { at: S0 + 5_000, healthIndex: 0.2 },
      { at: S0 + 599_000, healthIndex: 0.3 },
      { at: S0 + 600_000, latencyMs: 9 },
    ]);
    // S0 + 5 s's slot is never reused, but it is now more than 10 minutes old.
    t.health(S0 + 700_000, 0.4);
    expect(t.readings(S0, S0 + 700_000).map((r) => r.at)).toEqual([S0 + 599_000, S0 + 600_000, S0 + 700_000]);
  });

  test('a record older than the trail is dropped and does not wipe the newer second in its slot', () => {
    const t = new Trail();
    t.health(S0 + 600_000, 0.5);
    t.health(S0, 0.1);
    t.record(metric(S0 + 1, 'latency_ms', 1_000));
    expect(t.readings(S0 - 1, S0 + 600_000)).toEqual([{ at: S0 + 600_000, healthIndex: 0.5 }]);
  });

  test('a late record within the trail still lands in its own second', () => {
    const t = new Trail();
    t.health(S0 + 10_000, 0.5);
    t.record(metric(S0 + 2_000, 'latency_ms', 7));
    expect(t.readings(S0, S0 + 10_000)).toEqual([{ at: S0 + 2_000, latencyMs: 7 }, { at: S0 + 10_000, healthIndex: 0.5 }]);
  });
});

describe('in the engine', () => {
  const config = parseSentinelConfig({ eviction: { idleMs: 60_000, sweepEveryMs: 10_000 } });
  const START = CLOCK - 3_600_000;
  function feed(engine: Engine, recs: TelemetryRecord[], start = 0): void {
    const records: LogRecord[] = recs.map((r, i) => ({ topic: 't', partition: 0, offset: start + i, key: 'p', value: Buffer.from(JSON.stringify(r)), timestamp: 0, headers: {} }));
    engine.processBatch({ topic: 't', partition: 0, records, highWatermark: records.length });
  }

  test("a component's records and fused health fill its trail; the snapshot leaves it out", () => {
    const engine = new Engine(config, registryFactory, { clock: () => CLOCK });
    const recs: TelemetryRecord[] = [];
    for (let s = 0; s < 40; s++) recs.push(metric(START + s * 1_000, 'latency_ms', 50 + s), metric(START + s * 1_000 + 500, 'latency_ms', 20));
    feed(engine, recs);
    const m = engine.monitorOf('p', 'c');
    expect(m).toBeDefined();
    const readings = m?.trail.readings(START, START + 40_000) ?? [];
    expect(readings.map((r) => r.latencyMs)).toEqual(Array.from({ length: 40 }, (_, s) => 50 + s));
    for (const r of readings) expect(r.healthIndex).toEqual(expect.any(Number));
    // The last second's worst index is no better than the health last observed in it.
    expect(readings[39].healthIndex).toBeLessThanOrEqual(m?.view().healthIndex ?? NaN);
    const snap = engine.snapshotPartition('t', 0);
    expect(JSON.stringify(snap)).not.toMatch(/trail/i);
    const restored = new Engine(config, registryFactory, { clock: () => CLOCK });
    restored.restorePartition('t', 0, recs.length, snap);
    expect(restored.monitorOf('p', 'c')?.trail.readings(START, START + 40_000)).toEqual([]);
  });

  test('idle eviction drops the trail with its component', () => {
    const engine = new Engine(config, registryFactory, { clock: () => CLOCK });
    const recs: TelemetryRecord[] = [];
    for (let s = 0; s < 200; s++) {
      recs.push(metric(START + s * 1_000, 'latency_ms', 10, 'busy'));
      if (s < 20) recs.push(metric(START + s * 1_000, 'latency_ms', 10, 'quiet'));
    }
    feed(engine, recs.slice(0, 40));
    expect(engine.monitorOf('p', 'quiet')?.trail.readings(START, START + 20_000)).toHaveLength(20);
    feed(engine, recs.slice(40), 40);
    expect(engine.monitorOf('p', 'quiet')).toBeUndefined();
    expect(engine.counters.evicted).toBe(1);
    expect(engine.monitorOf('p', 'busy')?.trail.readings(START, START + 200_000)).toHaveLength(200);
  });
});
