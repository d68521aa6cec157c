/**
 * A sentinel upgraded in place keeps its detectors: a version-1 partition snapshot (written by the
 * previous release, stored in test/fixtures/sentinel/) restores, and the restored sentinel takes
 * the decisions the previous release took over the rest of the stream.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseSentinelConfig } from '../../sentinel/config';
import { Engine } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';

const FIXTURES = path.resolve(__dirname, '../fixtures/sentinel');
const T0 = 1_000_000;

/** The stream the fixture was recorded from: latency with a step, and profiles whose null rate jumps. */
function stream(): unknown[] {
  let s = 99;
  const rnd = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  const recs: unknown[] = [];
  for (let i = 0; i < 1200; i++) {
    const ts = T0 + i * 500;
    recs.push({ kind: 'metric', v: 1, ts, pipeline: 'p', component: 'enrich', signal: 'latency', value: 100 + (i > 900 ? 25 : 0) + (rnd() - 0.5) * 4 });
    if (i % 2 === 0) {
      recs.push({
        kind: 'profile',
        v: 1,
        ts,
        pipeline: 'p',
        component: 'source',
        signal: 'out',
        count: 100 + Math.round(rnd() * 5),
        schemaFingerprint: 'fp',
        nullRates: { amount: i > 1000 ? 0.5 : 0.01 },
        histograms: { amount: { edges: [0, 1, 2], counts: [Math.round(50 + rnd() * 10), 50] } },
      });
    }
  }
  return recs;
}

test('a version-1 snapshot restores and continues with the previous release’s decisions', () => {
  const { offset, snapshot } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'v1-snapshot.json'), 'utf8')) as { offset: number; snapshot: unknown };
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'v1-after.json'), 'utf8')) as unknown[];
  // The fixture's record times start at T0; the clock sits inside their window.
  const engine = new Engine(parseSentinelConfig({}), registryFactory, { clock: () => T0 + 600_000 });
  const state = engine.restorePartition('t', 0, offset, snapshot);
  expect(state.monitors().map((m) => m.component).sort()).toEqual(['enrich', 'source']);
  const records = stream().map((r, i) => ({ topic: 't', partition: 0, offset: i, key: 'p', value: Buffer.from(JSON.stringify(r)), timestamp: 0, headers: {} }));
  const result = engine.processBatch({ topic: 't', partition: 0, records, highWatermark: records.length });
  expect(result.rejected).toEqual([]);
  expect(result.actions.map((a) => ({ kind: a.kind, component: a.component, offset: a.source.offset, faultHint: a.evidence.faultHint ?? null }))).toEqual(expected);
  expect(expected.length).toBeGreaterThan(0);
});
