import fs from 'node:fs';
import fc from 'fast-check';
import { renderTelemetrySchema, TELEMETRY_SCHEMA_FILE } from '../../sentinel/write-schema';
import { telemetryRecord, TELEMETRY_KINDS } from '../../sentinel/telemetry';
import { parseSentinelConfig } from '../../sentinel/config';
import { decodeMessage, isFastMetric, validateValue } from '../../sentinel/validate';
import { CLOCK, hostileMessage } from './arbitraries';
import { T0 } from './streams';

const base = { v: 1, ts: T0, pipeline: 'demo', component: 'enrich' };
const examples = {
  metric: { kind: 'metric', ...base, signal: 'latency.p99', value: 12.5, unit: 'ms' },
  event: { kind: 'event', ...base, signal: 'process', event: 'OOMKilled', exitCode: 137, osSignal: 'SIGKILL', pid: 4242 },
  profile: {
    kind: 'profile',
    ...base,
    signal: 'output',
    batchId: 'b-17',
    count: 500,
    schemaFingerprint: 'sha256:ab12',
    nullRates: { amount: 0.01, country: 0 },
    ranges: { amount: { min: 0, max: 990 } },
    means: { amount: 120.5 },
    histograms: { amount: { edges: [0, 100, 1000], counts: [300, 200] } },
  },
  schema: { kind: 'schema', ...base, signal: 'output', fingerprint: 'sha256:ab12', version: 3, fields: [{ name: 'amount', type: 'double', nullable: true }] },
  model: { kind: 'model', ...base, component: 'score', signal: 'predictions', modelVersion: 'v4', error: 1, accuracy: 0.91, n: 200 },
  lineage: {
    kind: 'lineage',
    ...base,
    signal: 'lineage',
    job: { namespace: 'demo', name: 'enrich' },
    inputs: [{ namespace: 'log', name: 'events.raw' }],
    outputs: [{ namespace: 'log', name: 'events.enriched' }],
    eventType: 'COMPLETE',
  },
};

describe('telemetry schema', () => {
  test('the published JSON Schema is current (regenerate: npx tsx sentinel/write-schema.ts)', () => {
    expect(fs.readFileSync(TELEMETRY_SCHEMA_FILE, 'utf8')).toBe(renderTelemetrySchema());
  });

  test('one valid example of every kind', () => {
    expect(Object.keys(examples).sort()).toEqual([...TELEMETRY_KINDS].sort());
    for (const ex of Object.values(examples)) expect(validateValue(ex)).toMatchObject({ ok: true });
  });

  test('bad records name the field and the rule', () => {
    expect(validateValue({ ...examples.metric, value: 'slow' })).toMatchObject({ ok: false, field: 'value', rule: 'invalid_type' });
    expect(validateValue({ ...examples.metric, v: 2 })).toMatchObject({ ok: false, field: 'v', rule: 'invalid_value' });
    expect(validateValue({ ...examples.metric, pipeline: 'has space' })).toMatchObject({ ok: false, field: 'pipeline', rule: 'invalid_format' });
    expect(validateValue({ ...examples.model, error: undefined, accuracy: undefined })).toMatchObject({ ok: false, field: 'error', rule: 'custom' });
    expect(validateValue({ ...examples.profile, histograms: { a: { edges: [0, 1, 2], counts: [1] } } })).toMatchObject({
      ok: false,
      field: 'histograms.a.counts',
    });
    expect(validateValue({ ...examples.profile, nullRates: { a: 1.5 } })).toMatchObject({ ok: false, field: 'nullRates.a', rule: 'too_big' });
    expect(validateValue(null)).toMatchObject({ ok: false, field: '(root)' });
  });

  test('property: the fast path never accepts what zod rejects, and agrees on plain metrics', () => {
    const idish = fc.oneof(fc.constantFrom('demo', 'a', 'x.y-z_1', ''), fc.string({ maxLength: 140 }));
    const metricish = fc.record(
      {
        kind: fc.constantFrom('metric', 'event', 'Metric'),
        v: fc.constantFrom(1, 2, '1'),
        ts: fc.oneof(fc.integer({ min: -5, max: 2 ** 53 }), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 2)),
        pipeline: idish,
        component: idish,
        signal: fc.oneof(idish, fc.constantFrom('lat:p99/x', 'a'.repeat(201))),
        value: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null)),
        unit: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 40 })),
        labels: fc.oneof(fc.constant(undefined), fc.dictionary(fc.string(), fc.string())),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(metricish, (m) => {
        const zodOk = telemetryRecord.safeParse(m).success;
        if (isFastMetric(m)) expect(zodOk).toBe(true);
        if (zodOk && m.labels === undefined && m.kind === 'metric') expect(isFastMetric(m)).toBe(true);
      }),
      { numRuns: 3000, seed: 42 },
    );
  });

  test('property: decodeMessage never throws and every rejection has a field, a rule and the bytes', () => {
    const anyBytes = fc.oneof(
      { weight: 1, arbitrary: hostileMessage },
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
      { weight: 3, arbitrary: fc.jsonValue().map((j) => Buffer.from(JSON.stringify(j) ?? 'null')) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom(...TELEMETRY_KINDS), v: fc.constant(1), extra: fc.jsonValue() }).map((r) => Buffer.from(JSON.stringify(r))) },
    );
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const d = decodeMessage(bytes, { limits: parseSentinelConfig({}).limits, now: CLOCK });
        for (const r of d.rejected) {
          expect(r.field.length).toBeGreaterThan(0);
          expect(r.rule.length).toBeGreaterThan(0);
          expect(Buffer.isBuffer(r.value)).toBe(true);
        }
        expect(d.records.length + d.rejected.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
