import { type DriftSuiteResult, generateStream, runDriftSuite, scoreDetections, formatDriftSuite } from '../../detection/drift-suite';
import { WindowedProportionTest } from '../../detection/proportion-drift';

/** One default run of the suite, shared by the tests that only read it. */
let shared: DriftSuiteResult | undefined;
function oneRun(): DriftSuiteResult {
  shared ??= runDriftSuite({ runs: 1 });
  return shared;
}

describe('drift suite', () => {
  it('scores detections within a tolerance window: delay, misses, duplicates, MTBFA, precision, recall', () => {
    const m = scoreDetections([50, 1010, 1020, 2500, 3290], [1000, 2000, 3000], 4000, 300);
    expect(m.truePositives).toBe(2);
    expect(m.delays).toEqual([10, 290]);
    expect(m.falseAlarms).toBe(3); // 50 and 2500 are outside every window, 1020 repeats 1000's detection
    expect(m.duplicates).toBe(1);
    expect(m.missedRate).toBeCloseTo(1 / 3, 12);
    expect(m.precision).toBeCloseTo(2 / 5, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.mtbfa).toBeCloseTo((4000 - 900) / 3, 12);
    expect(scoreDetections([], [], 100, 10)).toMatchObject({ precision: 1, recall: 1, mtbfa: Infinity });
  });

  it('generates seeded streams with known change points', () => {
    const a = generateStream('abrupt', 5);
    expect(a.changePoints).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(Array.from(generateStream('abrupt', 5).values.subarray(0, 5))).toEqual(Array.from(a.values.subarray(0, 5)));
    const sea = generateStream('sea', 5);
    const rate = (from: number, to: number): number => sea.values.subarray(from, to).reduce((x, y) => x + y, 0) / (to - from);
    expect(rate(0, 1000)).toBeCloseTo(0.1, 1); // model matches the concept: label noise only
    expect(rate(3000, 3900)).toBeGreaterThan(0.2); // stale model after the 7 → 9.5 switch
    expect(generateStream('variance', 1, false).changePoints).toEqual([]);
  });

  it('runs end to end: fusion beats every single detector on precision for abrupt and gradual shifts', () => {
    const r = runDriftSuite({ runs: 2 });
    const get = (d: string, s: string) => r.rows.find((x) => x.detector === d && x.stream === s);
    for (const stream of ['abrupt', 'gradual']) {
      const fusion = get('fusion', stream);
      expect(fusion?.recall).toBeGreaterThanOrEqual(0.9);
      for (const d of ['adwin', 'cusum', 'page-hinkley']) expect(fusion?.precision).toBeGreaterThanOrEqual(get(d, stream)?.precision ?? 1);
    }
    expect(formatDriftSuite(r)).toMatch(/fusion\s+all/);
    expect(r.calibration.abrupt['cusum.threshold']).toBeGreaterThan(0);
  });

  // The target for the fusion, on the reported (default) seed. The suite is deterministic;
  // its settings were chosen on calibration seeds (777, 555, 31337), never on this one.
  it('reaches the target on the reported seed: fusion precision and recall ≥ 0.97 overall, ≥ 0.95 per stream kind', () => {
    const r = runDriftSuite();
    const fusion = (stream: string) => r.rows.find((x) => x.detector === 'fusion' && x.stream === stream);
    expect(fusion('all')?.precision).toBeGreaterThanOrEqual(0.97);
    expect(fusion('all')?.recall).toBeGreaterThanOrEqual(0.97);
    for (const stream of ['abrupt', 'gradual', 'variance', 'sea']) {
      expect(fusion(stream)?.precision).toBeGreaterThanOrEqual(0.95);
      expect(fusion(stream)?.recall).toBeGreaterThanOrEqual(0.95);
    }
    expect(r.calibration.sea['bernoulli-cusum.threshold']).toBeGreaterThan(0);
  }, 60_000);

  it('lets only the listed members vote in a family\'s fusion', () => {
    const r = oneRun();
    const row = (d: string) => r.rows.find((x) => x.detector === d && x.stream === 'sea');
    // By default the Bernoulli CUSUM alone votes on the SEA error stream: the fusion is its detections.
    const figures = (d: string) => {
      const x = row(d);
      return [x?.detections, x?.truePositives, x?.meanDelay, x?.precision, x?.recall];
    };
    expect(figures('fusion')).toEqual(figures('bernoulli-cusum'));
    // With every SEA detector voting (the CUSUM one vote of nine), the quorum rarely forms on the stream;
    // worth a quorum on its own, the CUSUM opens incidents again.
    const seaRecall = (res: DriftSuiteResult) => res.rows.find((x) => x.detector === 'fusion' && x.stream === 'sea')?.recall ?? Number.NaN;
    const all = seaRecall(runDriftSuite({ runs: 1, fusion: { members: {} } }));
    expect(all).toBeLessThan(seaRecall(r));
    expect(seaRecall(runDriftSuite({ runs: 1, fusion: { members: {}, weights: { sea: { 'bernoulli-cusum': 3.5 } } } }))).toBeGreaterThan(all);
  });
});

describe('windowed two-proportion test (optional SEA fusion member)', () => {
  // Deterministic 0/1 stream with an exact error rate per block of 100: `k` ones spread evenly.
  const block = (k: number): number[] => Array.from({ length: 100 }, (_, i) => (Math.floor(((i + 1) * k) / 100) > Math.floor((i * k) / 100) ? 1 : 0));
  const stream = (rates: number[]): number[] => rates.flatMap((k) => block(k));

  it('fires once on a rise of the error rate, never on a fall, and re-arms after the rate is back', () => {
    const d = new WindowedProportionTest({ window: 150, reference: 500, threshold: 4 });
    const xs = stream([...Array<number>(10).fill(10), ...Array<number>(8).fill(25), ...Array<number>(6).fill(10), ...Array<number>(8).fill(25), ...Array<number>(6).fill(5)]);
    const hits = xs.flatMap((x, t) => (d.update(x).driftDetected ? [t] : []));
    expect(hits).toHaveLength(2);
    expect(hits[0]).toBeGreaterThanOrEqual(1000);
    expect(hits[0]).toBeLessThan(1200);
    expect(hits[1]).toBeGreaterThanOrEqual(2400);
    expect(hits[1]).toBeLessThan(2600);
    expect(() => new WindowedProportionTest({ window: 0 })).toThrow(/window/);
    expect(() => d.update(0.5)).toThrow(/0 or 1/);
  });

  it('joins the SEA fusion only when proportionWeight > 0, with a calibrated threshold', () => {
    const r = runDriftSuite({ runs: 1, fusion: { proportionWeight: 1 } });
    expect(r.calibration.sea['proportion.threshold']).toBeGreaterThan(0);
    expect(r.rows.some((x) => x.detector === 'proportion' && x.stream === 'sea')).toBe(true);
    expect(oneRun().rows.some((x) => x.detector === 'proportion')).toBe(false);
  });
});
