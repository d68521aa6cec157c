/**
 * fast-check generators of telemetry for the sentinel's property tests: valid records of every
 * kind, streams of them in record-time order that reach the states a snapshot must carry (crash
 * loops of mixed classes, per-instance throughput and lag, fingerprint changes, null-rate and
 * histogram windows, model error streams), and hostile messages — deep nesting, huge strings,
 * stray bytes, bad timestamps, over-full maps.
 */
import fc from 'fast-check';
import { PROCESS_EVENTS, type TelemetryRecord } from '../../sentinel/telemetry';
import { T0 } from './streams';

/** The clock the property tests give the sentinel: the streams' T0 plus an hour (≈ now). */
export const CLOCK = T0 + 3_600_000;

const PIPELINES = ['p1', 'p2'];
const COMPONENTS = ['a', 'b', 'c'];

/** One step of a stream: how much record time passes, and what the record says. */
const step = fc.record({
  dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 400, max: 6_000 })),
  pipeline: fc.constantFrom(...PIPELINES),
  component: fc.constantFrom(...COMPONENTS),
  kind: fc.constantFrom('metric', 'metric', 'metric', 'event', 'profile', 'schema', 'model', 'lineage'),
  pick: fc.nat({ max: 1_000 }),
  high: fc.boolean(),
  noise: fc.double({ min: -1, max: 1, noNaN: true }),
});
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

function recordOf(s: Step, ts: number): TelemetryRecord {
  const base = { v: 1 as const, ts, pipeline: s.pipeline, component: s.component };
  const level = s.high ? 10 : 0;
  switch (s.kind) {
    case 'metric': {
      const signal = ['latency', 'throughput', 'lag', 'errors'][s.pick % 4];
      const value = signal === 'lag' ? Math.max(0, 20 + s.noise * 5 + (s.high ? s.pick : 0)) : 100 + level * 3 + s.noise * 4;
      return { kind: 'metric', ...base, signal, value, ...(signal === 'throughput' ? { labels: { instance: String(s.pick % 3) } } : {}) };
    }
    case 'event': {
      const hard = ['CRASHED', 'OOMKilled', 'HUNG', 'STALLED', 'FAILED', 'EVICTED'] as const;
      const event = s.high ? hard[s.pick % hard.length] : PROCESS_EVENTS[s.pick % PROCESS_EVENTS.length];
      const message = s.pick % 5 === 0 ? 'corrupt-checkpoint: ckpt-3 checksum mismatch' : undefined;
      return { kind: 'event', ...base, signal: 'process', event, ...(message ? { message } : {}), ...(s.pick % 7 === 0 ? { exitCode: 137 } : {}) };
    }
    case 'profile': {
      const shift = s.high ? 30 : 0;
      return {
        kind: 'profile',
        ...base,
        signal: 'output',
        count: 100 + (s.pick % 11),
        schemaFingerprint: s.pick % 17 === 0 ? 'fp-b' : 'fp-a',
        nullRates: { amount: s.high ? 0.5 : (s.pick % 5) / 100, [`f${s.pick % 3}`]: 0 },
        histograms: { amount: { edges: s.pick % 13 === 0 ? [0, 5, 10] : [0, 1, 2, 3], counts: s.pick % 13 === 0 ? [50, 50] : [20 + shift, 40, 40 - Math.min(shift, 40)] } },
      };
    }
    case 'schema':
      return { kind: 'schema', ...base, signal: 'output', fingerprint: ['fp-a', 'fp-a', 'fp-a', 'fp-b', 'fp-c'][s.pick % 5], fields: [{ name: 'amount', type: 'double' }] };
    case 'model':
      return {
        kind: 'model',
        ...base,
        signal: 'predictions',
        ...(s.pick % 3 !== 0 ? { error: s.pick % (s.high ? 2 : 9) === 0 ? 1 : 0 } : {}),
        ...(s.pick % 3 !== 1 ? { accuracy: s.high ? 0.5 : 0.92 + s.noise / 50 } : {}),
      } as TelemetryRecord;
    default:
      return { kind: 'lineage', ...base, signal: 'lineage', job: { namespace: 'demo', name: s.component }, inputs: [{ namespace: 'log', name: 'in' }], outputs: [{ namespace: 'log', name: 'out' }] };
  }
}

/** A stream of records of every kind, in record-time order from T0. */
export function telemetryStream(minLength: number, maxLength: number): fc.Arbitrary<TelemetryRecord[]> {
  return fc.array(step, { minLength, maxLength }).map((steps) => {
    let ts = T0;
    return steps.map((s) => recordOf(s, (ts += s.dt)));
  });
}

/** One valid record of any kind. */
export const validRecord: fc.Arbitrary<TelemetryRecord> = step.map((s) => recordOf(s, CLOCK - 60_000 + (s.pick % 60) * 1_000));

/** JSON nested `depth` levels deep: arrays, or objects. */
export const deepJson = (depth: number, objects = false): string => (objects ? '{"x":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth));

const depth = fc.oneof(fc.integer({ min: 1_000, max: 10_000 }), fc.constant(300_000));

/** Messages no producer should send, and some a broken one would. */
export const hostileMessage: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  depth.map((d) => Buffer.from(deepJson(d))),
  depth.map((d) => Buffer.from(deepJson(d, true))),
  // A valid metric carrying a deep extra key (the fast path must not hand it on as it is).
  fc.tuple(validRecord, depth).map(([r, d]) => Buffer.from(`${JSON.stringify(r).slice(0, -1)},"extra":${deepJson(d)}}`)),
  // A batch mixing good records with a deep element.
  fc.tuple(fc.array(validRecord, { maxLength: 4 }), depth).map(([rs, d]) => Buffer.from(`[${[...rs.map((r) => JSON.stringify(r)), deepJson(d)].join(',')}]`)),
  // Huge strings: a 600 KB label value, a 1.1 MB message.
  fc.tuple(validRecord, fc.integer({ min: 100_000, max: 600_000 })).map(([r, n]) => Buffer.from(JSON.stringify({ ...r, labels: { note: 'x'.repeat(n) } }))),
  fc.constant(Buffer.from(JSON.stringify({ ...recordOf({ dt: 0, pipeline: 'p1', component: 'a', kind: 'metric', pick: 0, high: false, noise: 0 }, CLOCK), signal: 'y'.repeat(1_100_000) }))),
  // Timestamps in microseconds, in seconds, far ahead.
  fc.tuple(validRecord, fc.constantFrom(1_000, 1 / 1_000)).map(([r, f]) => Buffer.from(JSON.stringify({ ...r, ts: Math.floor(r.ts * f) }))),
  validRecord.map((r) => Buffer.from(JSON.stringify({ ...r, ts: CLOCK + 3_600_000 }))),
  // Maps fuller than the caps.
  validRecord.map((r) => Buffer.from(JSON.stringify({ ...r, labels: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])) }))),
  fc.jsonValue().map((j) => Buffer.from(JSON.stringify(j) ?? 'null')),
  fc.array(fc.jsonValue(), { maxLength: 5 }).map((j) => Buffer.from(JSON.stringify(j))),
);

/** Any message: mostly valid ones (single or batched), some hostile. */
export const anyMessage: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: validRecord.map((r) => Buffer.from(JSON.stringify(r))) },
  { weight: 1, arbitrary: fc.array(validRecord, { minLength: 1, maxLength: 8 }).map((rs) => Buffer.from(JSON.stringify(rs))) },
  { weight: 2, arbitrary: hostileMessage },
);
