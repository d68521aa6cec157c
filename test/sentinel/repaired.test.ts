/**
 * A verified repair re-arms the sentinel's view of a component (a REPAIRED event on the telemetry
 * topic): evidence of the anomaly the repair addressed no longer reopens an incident, a hard
 * fault's hold no longer makes the repaired component count as anomalous (downstream incidents
 * would hand over to it), and a fault that is really still there still opens a new incident once
 * the fresh detectors see it.
 */
import type { LogRecord } from '../../bindings/log';
import type { IncidentAction } from '../../sentinel/component';
import { parseSentinelConfig, type SentinelConfigInput } from '../../sentinel/config';
import { Engine } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { lcg, metricStream, T0 } from './streams';

const nextOffset = new WeakMap<Engine, number>();
function run(engine: Engine, recs: TelemetryRecord[]): IncidentAction[] {
  const start = nextOffset.get(engine) ?? 0;
  const records: LogRecord[] = recs.map((r, i) => ({ topic: 't', partition: 0, offset: start + i, key: 'p', value: Buffer.from(JSON.stringify(r)), timestamp: 0, headers: {} }));
  nextOffset.set(engine, start + records.length);
  return engine.processBatch({ topic: 't', partition: 0, records, highWatermark: start + records.length }).actions;
}

const CONFIG: SentinelConfigInput = { reopenAfterMs: 20_000, evidence: { debounceMs: 2_000 }, scoring: { holdUpdates: 100 } };
const repaired = (ts: number, component = 'enrich'): TelemetryRecord => ({ kind: 'event', v: 1, ts, pipeline: 'p', component, signal: 'homeostat.repair', event: 'REPAIRED', message: 'microreboot verified by incident/p/enrich' });
const crash = (ts: number): TelemetryRecord => ({ kind: 'event', v: 1, ts, pipeline: 'p', component: 'enrich', signal: 'process', event: 'CRASHED', exitCode: 137 });

/** Latency climbing a step a second from 30 s; with `until`, back to normal from that index on. */
function fault(n: number, until = n): TelemetryRecord[] {
  return metricStream({ pipeline: 'p', component: 'enrich', n }).map((r, i) => (r.kind === 'metric' && i >= 300 && i < until ? { ...r, value: r.value + 15 * (1 + Math.floor((i - 300) / 10)) } : r));
}

/** Evidence that would open a new incident once the one before has closed. */
const reopening = (actions: IncidentAction[]): IncidentAction[] => actions.filter((a) => a.kind === 'open' || a.evidence.persistent === true || a.evidence.hardFault === true);

/** A 0/1 error stream of `score`, one prediction every 10 ms, at the given error rates in turn. */
function errors(phases: [rate: number, n: number][], t0: number, seed = 3): TelemetryRecord[] {
  const rnd = lcg(seed);
  const out: TelemetryRecord[] = [];
  for (const [rate, n] of phases) for (let i = 0; i < n; i++) out.push({ kind: 'model', v: 1, ts: t0 + out.length * 10, pipeline: 'p', component: 'score', signal: 'model.error', error: rnd() < rate ? 1 : 0 });
  return out;
}

/** Source profiles once a second with the null rate of `amount` at `rate(i)`. */
function profiles(n: number, rate: (i: number) => number, t0 = T0): TelemetryRecord[] {
  return Array.from({ length: n }, (_, i) => ({ kind: 'profile', v: 1, ts: t0 + i * 1_000, pipeline: 'p', component: 'source', signal: 'output', count: 100, schemaFingerprint: 'A', nullRates: { amount: rate(i) } }) as TelemetryRecord);
}

describe('sentinel after a verified repair', () => {
  it('takes a contained data fault as the new normal: a source still sending nulls behind a quarantine does not reopen', () => {
    // Nulls jump from 1 % to 60 % at 60 s and stay (the quarantine sets them aside downstream).
    const stream = profiles(200, (i) => (i >= 60 ? 0.6 : 0.01));
    const engine = new Engine(parseSentinelConfig(CONFIG), registryFactory);
    const before = run(engine, stream.slice(0, 70));
    expect(before.filter((a) => a.kind === 'open')).toHaveLength(1);
    run(engine, [{ kind: 'event', v: 1, ts: stream[69]!.ts + 10, pipeline: 'p', component: 'source', signal: 'homeostat.repair', event: 'REPAIRED', message: 'quarantine verified' }]);
    expect(reopening(run(engine, stream.slice(70)))).toEqual([]);
  });

  it("keeps the error stream's reference: quiet after a good repair, and a model that fails again is caught without relearning", () => {
    const engine = new Engine(parseSentinelConfig(CONFIG), registryFactory);
    const bad = errors([[0.1, 600], [0.6, 300]], T0);
    expect(run(engine, bad).filter((a) => a.kind === 'open')).toHaveLength(1);
    const end = bad[bad.length - 1]!.ts;
    run(engine, [{ ...repaired(end + 5, 'score') }]);
    const view = engine.monitors()[0]!.view();
    // Kept, restarted: no held alarm, and no 400-prediction warm-up before it can detect again.
    expect(view.detectors.map((d) => [d.name, d.score])).toEqual([['model.error#bernoulli-cusum', 0]]);
    expect(run(engine, errors([[0.1, 600]], end + 10, 5))).toEqual([]);
    const again = run(engine, errors([[0.6, 100]], end + 10 + 6_000, 7));
    expect(again.filter((a) => a.kind === 'open')).toHaveLength(1);
  });


  it('stops evidence of the repaired anomaly from reopening an incident; without the repair event it would', () => {
    // The fault ends at 60 s (index 600); the repair is verified at 61 s.
    const stream = fault(1500, 600);
    const cut = 610;
    const control = new Engine(parseSentinelConfig(CONFIG), registryFactory);
    run(control, stream.slice(0, cut));
    const controlAfter = run(control, stream.slice(cut));
    // Detectors that learnt the faulty level keep alarming on the recovery, until evidence turns persistent.
    expect(reopening(controlAfter).length).toBeGreaterThan(0);

    const engine = new Engine(parseSentinelConfig(CONFIG), registryFactory);
    const before = run(engine, stream.slice(0, cut));
    expect(before.filter((a) => a.kind === 'open')).toHaveLength(1);
    expect(run(engine, [repaired(stream[cut - 1]!.ts + 50)])).toEqual([]);
    const after = run(engine, stream.slice(cut));
    expect(after).toEqual([]);
    const view = engine.monitors()[0]!.view();
    expect(view).toMatchObject({ open: false, fusionOpen: false, repairsSeen: 1 });
  });

  it('still opens a new incident when the fault outlives a repair that was verified too early', () => {
    const stream = fault(1500);
    const cut = 610;
    const engine = new Engine(parseSentinelConfig(CONFIG), registryFactory);
    run(engine, stream.slice(0, cut));
    run(engine, [repaired(stream[cut - 1]!.ts + 50)]);
    const after = run(engine, stream.slice(cut));
    const opens = after.filter((a) => a.kind === 'open');
    expect(opens.length).toBeGreaterThan(0);
    expect(Date.parse(opens[0]!.evidence.at)).toBeGreaterThan(stream[cut - 1]!.ts);
  });

  it("no longer counts a hard fault's hold as open once its repair is verified, and a later crash is news", () => {
    const engine = new Engine(parseSentinelConfig({ ...CONFIG, hardFaultHoldMs: 20_000 }), registryFactory);
    const stream = metricStream({ pipeline: 'p', component: 'enrich', n: 200 });
    run(engine, stream.slice(0, 100));
    const t = stream[99]!.ts;
    const opened = run(engine, [crash(t + 10)]);
    expect(opened.map((a) => a.kind)).toEqual(['open']);
    run(engine, stream.slice(100, 120));
    expect(engine.monitors()[0]!.view().open).toBe(true);
    run(engine, [repaired(stream[119]!.ts + 10)]);
    run(engine, stream.slice(120, 140));
    // Well inside the 20 s hold, but repaired: diagnosis of a downstream incident must not root it here.
    expect(engine.monitors()[0]!.view().open).toBe(false);
    // A crash after the verified repair is a new fault, not the old one's debounced repeat.
    const again = run(engine, [crash(stream[139]!.ts + 10)]);
    expect(again.map((a) => a.kind)).toEqual(['open']);
  });

  it('keeps the re-arm across a snapshot and restore', () => {
    const stream = fault(1500, 600);
    const cut = 610;
    const engine = new Engine(parseSentinelConfig(CONFIG), registryFactory);
    run(engine, stream.slice(0, cut));
    run(engine, [repaired(stream[cut - 1]!.ts + 50)]);
    run(engine, stream.slice(cut, 700));
    const snap = JSON.parse(JSON.stringify(engine.snapshotPartition('t', 0))) as unknown;
    const restored = new Engine(parseSentinelConfig(CONFIG), registryFactory);
    restored.restorePartition('t', 0, 700 + 1, snap);
    nextOffset.set(restored, 700 + 1);
    const rest = stream.slice(700);
    expect(run(restored, rest)).toEqual(run(engine, rest));
    expect(restored.monitors()[0]!.view().repairsSeen).toBe(1);
  });
});
