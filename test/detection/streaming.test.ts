/**
 * The streaming-detector contract: settings checked in the constructor, bad input rejected (or
 * counted and skipped on request), no drift on stable streams, reset after a drift, scores in
 * [0, 1], and snapshot / restore that is exact at any point of a stream.
 */
import fc from 'fast-check';
import { HomeostatError } from '../../common/errors';
import { ALL_DETECTOR_NAMES, DETECTOR_NAMES, type DetectorName, type DetectorSnapshot, type StreamingDetector, hasWarning, isBinaryDetector } from '../../detection/detector';
import { RandomState } from '../../detection/random';
import { createDetector, detectorParams, restoreDetector } from '../../detection/registry';
import { Adwin } from '../../detection/adwin';
import { PageHinkley } from '../../detection/page-hinkley';
import { runDetector } from '../fixtures/detection/fixtures';

/** River's 0/1 detectors that also raise warnings. */
const BINARY: readonly DetectorName[] = ['ddm', 'eddm', 'hddm-a', 'hddm-w'];
/** River's 0/1 detectors. */
const RIVER_BINARY: readonly DetectorName[] = [...BINARY, 'fhddm'];
/** Every detector fed a 0/1 error stream. */
const BINARY_INPUT: readonly DetectorName[] = [...RIVER_BINARY, 'bernoulli-cusum'];

function expectError(fn: () => unknown, code: string, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(HomeostatError);
  const err = caught as HomeostatError;
  expect(err.code).toBe(code);
  for (const f of fragments) expect(err.message).toContain(f);
}

/** A seeded stream with mean shifts, suited to the detector's input (0/1 for binary ones). */
function shiftingStream(name: DetectorName, seed: number, length: number): number[] {
  const rng = new RandomState(seed);
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const block = Math.floor(i / 400) % 3;
    if (BINARY_INPUT.includes(name)) out.push(rng.randomDouble() < [0.1, 0.5, 0.2][block] ? 1 : 0);
    else out.push(rng.normal([0, 3, -1][block], 1));
  }
  return out;
}

describe('registry and settings', () => {
  test('createDetector builds every detector by name with River\'s defaults', () => {
    for (const name of DETECTOR_NAMES) {
      const d = createDetector(name);
      expect(d.name).toBe(name);
      expect(d.driftDetected).toBe(false);
      expect(d.score).toBe(0);
      expect(hasWarning(d)).toBe(BINARY.includes(name));
      expect(isBinaryDetector(d)).toBe(RIVER_BINARY.includes(name));
    }
    const adwin = createDetector('adwin');
    expect([adwin.delta, adwin.clock, adwin.maxBuckets, adwin.minWindowLength, adwin.gracePeriod]).toEqual([0.002, 32, 5, 5, 10]);
    const ph = createDetector('page-hinkley');
    expect([ph.minInstances, ph.delta, ph.threshold, ph.alpha, ph.mode]).toEqual([30, 0.005, 50, 1 - 0.0001, 'both']);
  });

  test('an unknown detector name lists the valid ones', () => {
    expectError(() => createDetector('no-such-detector'), 'HS_INVALID_INPUT', 'adwin, page-hinkley, cusum, ddm, eddm, hddm-a, hddm-w, ewma, kswin, fhddm');
  });

  test('an unknown setting lists the valid settings', () => {
    expectError(() => createDetector('adwin', { delt: 0.1 }), 'HS_INVALID_INPUT', '"delt"', 'delta, clock, maxBuckets, minWindowLength, gracePeriod');
    expect(detectorParams('hddm-w')).toEqual(['driftConfidence', 'warningConfidence', 'lambdaVal', 'twoSidedTest']);
  });

  test.each([
    ['page-hinkley', { mode: 'sideways' }, 'up, down, both'],
    ['cusum', { mode: 'UP' }, 'up, down, both'],
    ['ewma', { alpha: 0 }, '(0, 1]'],
    ['adwin', { delta: 1.5 }, '(0, 1)'],
    ['adwin', { clock: 0 }, 'integer ≥ 1'],
    ['adwin', { maxBuckets: 2.5 }, 'integer ≥ 1'],
    ['ddm', { driftThreshold: -1 }, '≥ 0'],
    ['eddm', { alpha: 0.8, beta: 0.9 }, '≥ beta'],
    ['hddm-a', { driftConfidence: 0 }, '(0, 1)'],
    ['hddm-w', { lambdaVal: 2 }, '(0, 1]'],
    ['hddm-w', { twoSidedTest: 'yes' }, 'true or false'],
    ['cusum', { threshold: NaN }, '> 0'],
  ] as const)('%s rejects %j and names the valid values', (name, params, valid) => {
    expectError(() => createDetector(name, params as Record<string, unknown>), 'HS_INVALID_INPUT', valid);
  });
});

describe('bad input never reaches the state', () => {
  const bad: unknown[] = [NaN, Infinity, -Infinity, '1', null, undefined, {}, [1]];

  test.each(ALL_DETECTOR_NAMES.map((n) => [n]))('%s rejects NaN, ±Infinity and non-numbers with HS_INVALID_INPUT', (name) => {
    const d = createDetector(name);
    d.update(0);
    const before = JSON.stringify(d.snapshot());
    for (const x of bad) expectError(() => d.update(x as number), 'HS_INVALID_INPUT', name);
    expect(JSON.stringify(d.snapshot())).toBe(before);
  });

  test.each(BINARY_INPUT.map((n) => [n]))('%s rejects values outside [0, 1]', (name) => {
    const d = createDetector(name);
    expectError(() => d.update(2), 'HS_INVALID_INPUT', '[0, 1]');
    expectError(() => d.update(-0.5), 'HS_INVALID_INPUT', '[0, 1]');
  });

  test.each(ALL_DETECTOR_NAMES.map((n) => [n]))('%s with skipInvalid counts and skips, with outputs unchanged', (name) => {
    const stream = shiftingStream(name, 99, 1500);
    const clean = runDetector(createDetector(name), stream);
    const noisy: number[] = [];
    stream.forEach((x, i) => {
      noisy.push(x);
      if (i % 7 === 3) noisy.push(NaN);
      if (i % 11 === 5) noisy.push(Infinity);
    });
    const d = createDetector(name, { skipInvalid: true });
    const drifts: number[] = [];
    let valid = -1;
    for (const x of noisy) {
      d.update(x);
      if (Number.isFinite(x)) {
        valid++;
        if (d.driftDetected) drifts.push(valid);
      } else {
        expect(d.driftDetected).toBe(false);
      }
    }
    expect(drifts).toEqual(clean.drifts);
    expect(d.skipped).toBe(noisy.length - stream.length);
  });
});

describe('behaviour on streams', () => {
  test('no drift on stable streams', () => {
    const rng = new RandomState(2024);
    const constant = new Array<number>(5000).fill(1);
    const zeros = new Array<number>(5000).fill(0);
    const rare = Array.from({ length: 5000 }, () => (rng.randomDouble() < 0.05 ? 1 : 0));
    expect(runDetector(createDetector('adwin'), constant).drifts).toEqual([]);
    expect(runDetector(createDetector('page-hinkley'), constant).drifts).toEqual([]);
    expect(runDetector(createDetector('cusum'), constant).drifts).toEqual([]);
    expect(runDetector(createDetector('ewma'), constant).drifts).toEqual([]);
    for (const name of BINARY) {
      expect(runDetector(createDetector(name), zeros).drifts).toEqual([]);
      expect(runDetector(createDetector(name), constant).drifts).toEqual([]);
    }
    expect(runDetector(createDetector('hddm-a'), rare).drifts).toEqual([]);
    expect(runDetector(createDetector('hddm-w'), rare).drifts).toEqual([]);
    const gauss = Array.from({ length: 5000 }, () => rng.normal(10, 2));
    expect(runDetector(createDetector('adwin'), gauss).drifts).toEqual([]);
    expect(runDetector(createDetector('ewma'), gauss).drifts).toEqual([]);
    // Page-Hinkley's threshold is in the data's units (λ = 50): no alarm at σ = 0.5.
    const narrow = Array.from({ length: 5000 }, () => rng.normal(10, 0.5));
    expect(runDetector(createDetector('page-hinkley'), narrow).drifts).toEqual([]);
  });

  test('the drift flag lasts one update and the detector restarts afterwards', () => {
    const d = new PageHinkley({ threshold: 5, minInstances: 5 });
    const stream = [...new Array<number>(50).fill(0), ...new Array<number>(50).fill(10)];
    const flags = stream.map((x) => d.update(x).driftDetected);
    const first = flags.indexOf(true);
    expect(first).toBeGreaterThan(49);
    expect(flags[first + 1]).toBe(false);
    expect(d.snapshot().state.n).toBe(stream.length - first - 1);
  });

  test.each(ALL_DETECTOR_NAMES.map((n) => [n]))('%s scores lie in [0, 1] and are 1 exactly on detections', (name) => {
    const stream = shiftingStream(name, 5, 3000);
    const d = createDetector(name);
    let detections = 0;
    for (const x of stream) {
      d.update(x);
      expect(d.score).toBeGreaterThanOrEqual(0);
      expect(d.score).toBeLessThanOrEqual(1);
      if (d.driftDetected) {
        detections++;
        expect(d.score).toBe(1);
      }
    }
    expect(detections).toBeGreaterThan(0);
  });

  test('ADWIN with max_buckets = 1 stays consistent through cuts (River 0.26.1 panics there)', () => {
    const d = new Adwin({ maxBuckets: 1, delta: 0.1 });
    const stream = shiftingStream('adwin', 8, 4000);
    let drifts = 0;
    for (const x of stream) {
      d.update(x);
      if (d.driftDetected) drifts++;
      const rows = d.snapshot().state.rows as { totals: number[] }[];
      const width = rows.reduce((sum, row, i) => sum + row.totals.length * 2 ** i, 0);
      expect(width).toBe(d.windowWidth);
    }
    expect(drifts).toBeGreaterThan(0);
  });

  test('ADWIN keeps its window in a few KB after 10^5 updates', () => {
    const d = new Adwin();
    const rng = new RandomState(1);
    for (let i = 0; i < 100_000; i++) d.update(rng.randomDouble());
    expect(d.windowWidth).toBeGreaterThan(50_000);
    expect(JSON.stringify(d.snapshot()).length).toBeLessThan(8192);
  });
});

describe('snapshots', () => {
  test.each(ALL_DETECTOR_NAMES.map((n) => [n]))('%s snapshot is plain JSON with type and version', (name) => {
    const d = createDetector(name);
    runDetector(d, shiftingStream(name, 3, 700));
    const snap = d.snapshot();
    expect(snap.type).toBe(name);
    expect(snap.version).toBe(1);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  test('restoring a snapshot of another type or version is a clear error', () => {
    const snap = createDetector('ddm').snapshot();
    expectError(() => Adwin.fromSnapshot(snap), 'HS_SNAPSHOT_MISMATCH', '"ddm"', 'adwin');
    expectError(() => restoreDetector({ ...snap, version: 2 }), 'HS_SNAPSHOT_MISMATCH', 'version 2', 'version 1');
    expectError(() => restoreDetector({ ...snap, type: 'no-such-detector' } as unknown as DetectorSnapshot), 'HS_SNAPSHOT_MISMATCH', '"no-such-detector"');
    expectError(() => restoreDetector({ ...snap, state: { ...snap.state, p: 'x' } }), 'HS_SNAPSHOT_MISMATCH', 'state.p');
  });

  // The property of issue 3: a detector snapshotted (through JSON text) and restored at any point
  // produces exactly the same subsequent outputs as one that never stopped.
  test.each(ALL_DETECTOR_NAMES.map((n) => [n]))('%s: snapshot + restore at any point changes nothing afterwards', (name) => {
    const settings: Record<DetectorName, fc.Arbitrary<Record<string, unknown>>> = {
      adwin: fc.record({ clock: fc.integer({ min: 1, max: 40 }), delta: fc.constantFrom(0.002, 0.05), maxBuckets: fc.integer({ min: 1, max: 6 }) }),
      'page-hinkley': fc.record({ threshold: fc.constantFrom(5, 20, 50), mode: fc.constantFrom('up', 'down', 'both'), minInstances: fc.integer({ min: 1, max: 40 }) }),
      cusum: fc.record({ threshold: fc.constantFrom(3, 5), mode: fc.constantFrom('up', 'down', 'both'), minInstances: fc.integer({ min: 2, max: 50 }) }),
      ewma: fc.record({ alpha: fc.constantFrom(0.1, 0.3, 1), threshold: fc.constantFrom(2, 3, 4), mode: fc.constantFrom('up', 'down', 'both') }),
      ddm: fc.record({ warmStart: fc.integer({ min: 0, max: 50 }), driftThreshold: fc.constantFrom(2.5, 3) }),
      eddm: fc.record({ warmStart: fc.integer({ min: 0, max: 40 }), alpha: fc.constant(0.95), beta: fc.constantFrom(0.8, 0.9) }),
      'hddm-a': fc.record({ twoSidedTest: fc.boolean(), driftConfidence: fc.constantFrom(0.001, 0.05) }),
      'hddm-w': fc.record({ twoSidedTest: fc.boolean(), lambdaVal: fc.constantFrom(0.05, 0.3, 1) }),
      kswin: fc.record({ alpha: fc.constantFrom(0.005, 0.05), windowSize: fc.constantFrom(60, 100), statSize: fc.constantFrom(20, 30), seed: fc.integer({ min: 0, max: 1000 }) }),
      fhddm: fc.record({ slidingWindowSize: fc.constantFrom(25, 100), confidenceLevel: fc.constantFrom(1e-6, 0.01), shortWindowSize: fc.constantFrom(undefined, 10) }),
      'bernoulli-cusum': fc.record({
        reference: fc.integer({ min: 1, max: 300 }),
        oddsRatio: fc.constantFrom(1.5, 2, 4),
        threshold: fc.constantFrom(2, 5),
        holdOff: fc.integer({ min: 0, max: 300 }),
      }),
    };
    fc.assert(
      fc.property(settings[name], fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 1600 }), (params, seed, cut) => {
        const stream = shiftingStream(name, seed, 1600);
        const straight: StreamingDetector = createDetector(name, params);
        const expected = stream.map((x) => {
          straight.update(x);
          return [straight.driftDetected, hasWarning(straight) && straight.warningDetected, straight.score];
        });
        let resumed: StreamingDetector = createDetector(name, params);
        const got = stream.map((x, i) => {
          if (i === cut) resumed = restoreDetector(JSON.parse(JSON.stringify(resumed.snapshot())) as DetectorSnapshot);
          resumed.update(x);
          return [resumed.driftDetected, hasWarning(resumed) && resumed.warningDetected, resumed.score];
        });
        expect(got).toEqual(expected);
        expect(JSON.stringify(resumed.snapshot())).toBe(JSON.stringify(straight.snapshot()));
      }),
      { numRuns: 40, seed: 20261125 },
    );
  });
});
