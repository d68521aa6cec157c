/**
 * How the sentinel's incident decisions follow a fault's life: a schema change opens an incident
 * but the change back does not; a crash during an open statistical anomaly still reaches an
 * incident; an anomaly that outlives its incident is marked persistent (and so may reopen);
 * a checkpoint that fails to load is named as such; inputs weighted 0 name no fault.
 */
import type { LogRecord } from '../../bindings/log';
import type { IncidentAction } from '../../sentinel/component';
import { parseSentinelConfig } from '../../sentinel/config';
import { Engine, faultOfEvent } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { T0, interleave, metricStream } from './streams';


/** Feeds records to the engine as the next batch of partition 0 (offsets continue across calls). */
function run(engine: Engine, recs: TelemetryRecord[]): IncidentAction[] {
  const start = nextOffset.get(engine) ?? 0;
  const records: LogRecord[] = recs.map((r, i) => ({ topic: 't', partition: 0, offset: start + i, key: 'p', value: Buffer.from(JSON.stringify(r)), timestamp: 0, headers: {} }));
  nextOffset.set(engine, start + records.length);
  return engine.processBatch({ topic: 't', partition: 0, records, highWatermark: start + records.length }).actions;
}
const nextOffset = new WeakMap<Engine, number>();

/**
 * Latency that keeps climbing a step every second after 30 s: with detections held for 10 s
 * (`holdUpdates: 100`), an anomaly the fusion keeps seeing.
 */
function staircase(n: number): TelemetryRecord[] {
  return metricStream({ pipeline: 'p', component: 'enrich', n }).map((r, i) => (r.kind === 'metric' && i >= 300 ? { ...r, value: r.value + 15 * (1 + Math.floor((i - 300) / 10)) } : r));
}

const schema = (fingerprint: string, ts: number): TelemetryRecord => ({ kind: 'schema', v: 1, ts, pipeline: 'p', component: 'source', signal: 'output', fingerprint, version: 1, fields: [{ name: 'amount', type: 'double', nullable: true }] });
const crash = (ts: number, message?: string): TelemetryRecord => ({ kind: 'event', v: 1, ts, pipeline: 'p', component: 'enrich', signal: 'process', event: 'CRASHED', exitCode: 3, ...(message ? { message } : {}) });

describe('sentinel incident lifecycle', () => {
  it('opens on a schema change, not on the change back to the baseline schema', () => {
    const engine = new Engine(parseSentinelConfig({}), registryFactory);
    // Fingerprints once a second: A, a change to B, back to A for a while, then a change to C.
    const fingerprints = ['A', 'A', 'B', ...Array.from({ length: 87 }, () => 'A'), 'C'];
    const actions = run(engine, fingerprints.map((f, i) => schema(f, T0 + i * 1_000)));
    // Each change opens one incident (fused at once, the hard fault follows as its evidence).
    const opens = actions.filter((a) => a.kind === 'open');
    expect(opens.map((a) => [a.evidence.faultHint, Date.parse(a.evidence.at) - T0])).toEqual([
      ['schema-drift', 2_000],
      ['schema-drift', 90_000],
    ]);
    const hard = actions.filter((a) => a.evidence.hardFault);
    expect(hard.map((a) => a.evidence.summary.match(/→ (\w+)/)?.[1])).toEqual(['B', 'C']);
  });

  it('sends a crash during an open anomaly as hard-fault evidence, even right after ordinary evidence', () => {
    const config = parseSentinelConfig({ evidence: { debounceMs: 10_000 }, scoring: { holdUpdates: 100 } });
    const engine = new Engine(config, registryFactory);
    const stream = staircase(500);
    const actions = run(engine, stream);
    expect(actions.filter((a) => a.kind === 'open')).toHaveLength(1);
    // The last ordinary evidence was just sent: a debounce shared with it would swallow the crash.
    expect(actions[actions.length - 1]?.kind).toBe('evidence');
    const after = run(engine, [crash(stream[stream.length - 1]!.ts + 100)]);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ kind: 'evidence', evidence: { hardFault: true, faultHint: 'crash' } });
  });

  it('marks evidence of an anomaly still alarming reopenAfterMs after its incident opened as persistent', () => {
    const engine = new Engine(parseSentinelConfig({ reopenAfterMs: 20_000, evidence: { debounceMs: 2_000 }, scoring: { holdUpdates: 100 } }), registryFactory);
    const actions = run(engine, staircase(900));
    const open = actions.find((a) => a.kind === 'open');
    const evidence = actions.filter((a) => a.kind === 'evidence');
    expect(open).toBeDefined();
    const openAt = Date.parse(open!.evidence.at);
    const early = evidence.filter((a) => Date.parse(a.evidence.at) - openAt < 20_000);
    const late = evidence.filter((a) => Date.parse(a.evidence.at) - openAt >= 20_000);
    expect(early.length).toBeGreaterThan(0);
    expect(early.every((a) => a.evidence.persistent === undefined)).toBe(true);
    expect(late[0]?.evidence.persistent).toBe(true);
    // The persistent one counts as a new opening: the next is not persistent again at once.
    expect(late[1]?.evidence.persistent).toBeUndefined();
  });

  it('names a crash on a corrupt checkpoint a corrupted checkpoint, other crashes crashes', () => {
    expect(faultOfEvent('CRASHED', 'corrupt-checkpoint: ckpt-7 checksum mismatch')).toBe('corrupted-checkpoint');
    expect(faultOfEvent('CRASHED', 'killed by SIGKILL')).toBe('crash');
    expect(faultOfEvent('OOMKilled', undefined)).toBe('oom');
    const engine = new Engine(parseSentinelConfig({}), registryFactory);
    const [open] = run(engine, [crash(T0, 'corrupt-checkpoint: ckpt-7 checksum mismatch')]);
    expect(open).toMatchObject({ kind: 'open', input: { faultClass: 'corrupted-checkpoint' } });
  });

  it('debounces a crash loop, not a crash of another class right after a kill', () => {
    const engine = new Engine(parseSentinelConfig({ evidence: { debounceMs: 5_000 } }), registryFactory);
    const actions = run(engine, [crash(T0, 'killed by SIGKILL'), crash(T0 + 500, 'killed by SIGKILL'), crash(T0 + 900, 'corrupt-checkpoint: ckpt-7 checksum mismatch')]);
    expect(actions.map((a) => [a.kind, a.kind === 'open' ? a.input?.faultClass : a.evidence.faultHint])).toEqual([
      ['open', 'crash'],
      ['evidence', 'corrupted-checkpoint'],
    ]);
  });

  it('opens a poison-records incident at once when a stage reports it is stuck on a record', () => {
    expect(faultOfEvent('STALLED', 'cannot parse record at events/0@41')).toBe('poison-records');
    const engine = new Engine(parseSentinelConfig({}), registryFactory);
    const stalled: TelemetryRecord = { kind: 'event', v: 1, ts: T0, pipeline: 'p', component: 'enrich', signal: 'process', event: 'STALLED', message: 'cannot parse record at events/0@41' };
    const [open] = run(engine, [stalled]);
    expect(open).toMatchObject({ kind: 'open', input: { component: 'enrich', faultClass: 'poison-records' } });
  });

  it('takes no fault hint from inputs weighted 0', () => {
    const config = parseSentinelConfig({ signals: [{ pipeline: 'p', component: '*', signal: 'rss_mb', detectors: [{ detector: 'ewma', weight: 0 }] }] });
    const engine = new Engine(config, registryFactory);
    const actions = run(
      engine,
      interleave(
        metricStream({ pipeline: 'p', component: 'score', signal: 'rss_mb', n: 900, stepAt: 300, shift: 40 }),
        metricStream({ pipeline: 'p', component: 'score', signal: 'latency', n: 900, stepAt: 300, shift: 15, seed: 5 }),
      ),
    );
    const open = actions.find((a) => a.kind === 'open');
    expect(open).toBeDefined();
    expect(open!.evidence.faultHint).not.toBe('oom');
  });

  it('opens a null-spike incident when a null rate that sat at exactly 0 jumps', () => {
    const engine = new Engine(parseSentinelConfig({}), registryFactory);
    const profile = (i: number, amountNulls: number): TelemetryRecord => ({
      kind: 'profile',
      v: 1,
      ts: T0 + i * 1_000,
      pipeline: 'p',
      component: 'source',
      signal: 'output',
      count: 100,
      schemaFingerprint: 'fp',
      nullRates: { amount: amountNulls, x1: 0 },
    });
    const actions = run(engine, Array.from({ length: 90 }, (_, i) => profile(i, i < 60 ? 0 : 0.6)));
    const opens = actions.filter((a) => a.kind === 'open');
    expect(opens).toHaveLength(1);
    expect(opens[0]!.evidence.faultHint).toBe('null-spike');
    expect(Date.parse(opens[0]!.evidence.at) - T0).toBeGreaterThanOrEqual(60_000);
    expect(Date.parse(opens[0]!.evidence.at) - T0).toBeLessThan(64_000);
  });

  it('opens accuracy-drop when reported accuracy falls well below its trailing level, not on a wobble', () => {
    const engine = new Engine(parseSentinelConfig({}), registryFactory);
    const model = (i: number, accuracy: number): TelemetryRecord => ({ kind: 'model', v: 1, ts: T0 + i * 1_000, pipeline: 'p', component: 'score', signal: 'model', accuracy, n: 200 });
    // ±2 points of wobble for a minute, then a fall to 55 %.
    const actions = run(engine, Array.from({ length: 100 }, (_, i) => model(i, i < 70 ? 0.93 + ((i * 7) % 5) / 100 : 0.55)));
    const opens = actions.filter((a) => a.kind === 'open');
    expect(opens).toHaveLength(1);
    expect(opens[0]!.evidence.faultHint).toBe('accuracy-drop');
    expect(Date.parse(opens[0]!.evidence.at) - T0).toBeGreaterThanOrEqual(70_000);
  });
});
