/**
 * The snapshot holds the whole state: over random streams of every record kind — crash loops of
 * mixed classes, per-instance throughput and lag, profiles with null rates, histograms and
 * fingerprint changes, schema changes, model error and accuracy streams, lineage — a sentinel
 * stopped at random points and restored from its snapshot (through JSON, as the state file
 * stores it) takes exactly the decisions of one that never stopped, ends with the same state, and
 * shows the same health. Windows, holds and idle times are short so that every piece of state
 * (the last hard fault's class, the throughput level, instance throughputs, rings, evictions)
 * matters within a few hundred records; the metric and error-stream detectors vary per run.
 */
import fc from 'fast-check';
import type { LogBatch, LogRecord } from '../../bindings/log';
import type { IncidentAction } from '../../sentinel/component';
import { parseSentinelConfig, type SentinelConfigInput } from '../../sentinel/config';
import { Engine } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { CLOCK, telemetryStream } from './arbitraries';

const clock = (): number => CLOCK;

function configFor(metricDetector: string, errorDetector: string): SentinelConfigInput {
  const quick = { alpha: 0.3, threshold: 3, minInstances: 5 };
  return {
    psiReferenceBatches: 4,
    psiWindowBatches: 2,
    nullRateWindowBatches: 2,
    evidence: { debounceMs: 1_500, samples: 3 },
    hardFaultHoldMs: 8_000,
    reopenAfterMs: 5_000,
    scoring: { holdUpdates: 3 },
    eviction: { idleMs: 20_000, sweepEveryMs: 2_000 },
    detectors: {
      metric: [metricDetector === 'ewma' ? { detector: 'ewma', params: quick } : { detector: metricDetector as 'cusum' }],
      'profile.count': [{ detector: 'ewma', params: quick }],
      'model.error': [errorDetector === 'bernoulli-cusum' ? { detector: 'bernoulli-cusum', params: { reference: 20, oddsRatio: 4, threshold: 3, holdOff: 5 }, weight: 3 } : { detector: errorDetector as 'ddm', weight: 3 }],
    },
  };
}

function logRecords(stream: TelemetryRecord[]): LogRecord[] {
  return stream.map((r, i) => ({ topic: 't', partition: 0, offset: i, key: r.pipeline, value: Buffer.from(JSON.stringify(r)), timestamp: 0, headers: {} }));
}

function feed(engine: Engine, records: LogRecord[], size: number): IncidentAction[] {
  const out: IncidentAction[] = [];
  for (let i = 0; i < records.length; i += size) {
    const batch: LogBatch = { topic: 't', partition: 0, records: records.slice(i, i + size), highWatermark: records.length };
    out.push(...engine.processBatch(batch).actions);
  }
  return out;
}

const views = (e: Engine): unknown => JSON.parse(JSON.stringify(e.monitors().map((m) => m.view())));

test('property: a sentinel restored from snapshots at random points decides exactly as one that never stopped', () => {
  let decisions = 0;
  fc.assert(
    fc.property(
      telemetryStream(80, 500),
      fc.constantFrom('ewma', 'cusum', 'page-hinkley', 'adwin'),
      fc.constantFrom('bernoulli-cusum', 'ddm', 'eddm', 'hddm-a', 'hddm-w'),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 60 }),
      (stream, metricDetector, errorDetector, cutsAt, size) => {
        const config = parseSentinelConfig(configFor(metricDetector, errorDetector));
        const records = logRecords(stream);
        const straight = new Engine(config, registryFactory, { clock });
        const expected = feed(straight, records, 37);
        decisions += expected.length;

        const cuts = [...new Set(cutsAt.map((c) => Math.floor(c * records.length)))].sort((a, b) => a - b);
        let engine = new Engine(config, registryFactory, { clock });
        const got: IncidentAction[] = [];
        let from = 0;
        for (const cut of [...cuts, records.length]) {
          got.push(...feed(engine, records.slice(from, cut), size));
          from = cut;
          if (cut === records.length) break;
          const stored: unknown = JSON.parse(JSON.stringify(engine.snapshotPartition('t', 0)));
          engine = new Engine(config, registryFactory, { clock });
          engine.restorePartition('t', 0, cut, stored);
        }
        expect(got).toEqual(expected);
        expect(JSON.parse(JSON.stringify(engine.snapshotPartition('t', 0)))).toEqual(JSON.parse(JSON.stringify(straight.snapshotPartition('t', 0))));
        expect(views(engine)).toEqual(views(straight));
      },
    ),
    { numRuns: 150, seed: 4242 },
  );
  // The streams do reach decisions (opens and evidence), not only quiet state.
  expect(decisions).toBeGreaterThan(500);
});
