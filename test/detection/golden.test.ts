/**
 * Golden vectors: River's own drift tests (tests/drift/test_drift_detectors.py) on the three
 * seeded numpy streams, re-drawn here with detection/random.ts, and River 0.26.1's answers on
 * them as recorded in test/fixtures/detection/river-golden.json.
 */
import { type StreamingDetector } from '../../detection/detector';
import { RandomState } from '../../detection/random';
import { createDetector } from '../../detection/registry';
import { type Adwin } from '../../detection/adwin';
import { build, goldenCases, numpyStreams, runDetector } from '../fixtures/detection/fixtures';

function stream1(): number[] {
  const rng = new RandomState(12345);
  return [2, 8].flatMap((k) => Array.from({ length: 1000 }, () => rng.randint(k)));
}

function stream2(): number[] {
  const rng = new RandomState(12345);
  return [0.2, 0.8].flatMap((p) => Array.from({ length: 1000 }, () => rng.binomial(1, p)));
}

function stream3(): number[] {
  const rng = new RandomState(12345);
  return [0, 0.25, 0, 0.25].flatMap((mu) => Array.from({ length: 500 }, () => (rng.normal(mu, 0.1) > 0 ? 1 : 0)));
}

/** Distance from |x| to the next larger double. */
function ulp(x: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
}

const drifts = (d: StreamingDetector, s: readonly number[]): number[] => runDetector(d, s).drifts;

describe('numpy legacy generator (detection/random.ts) against numpy output', () => {
  const { draws, streams } = numpyStreams();

  test('MT19937 init_genrand(12345): the first 1000 32-bit draws are numpy\'s', () => {
    const rng = new RandomState(draws.seed);
    expect(draws.uint32.map(() => rng.nextUint32())).toEqual(draws.uint32);
  });

  test('53-bit doubles, randint and binomial(1, p) are numpy\'s draw for draw', () => {
    let rng = new RandomState(12345);
    expect(draws.randomSample.map(() => rng.randomDouble())).toEqual(draws.randomSample);
    rng = new RandomState(12345);
    const highs = [3, 5, 6, 7, 100, 1000, 12345];
    expect(draws.randintMixed.map((_, i) => rng.randint(highs[i % highs.length]))).toEqual(draws.randintMixed);
    rng = new RandomState(12345);
    expect(draws['binomial1_0.3'].map(() => rng.binomial(1, 0.3))).toEqual(draws['binomial1_0.3']);
  });

  // Math.log (V8) and glibc's log differ in the last bit for a few per cent of arguments (neither
  // is correctly rounded everywhere), so a normal may differ from numpy's by a couple of ulps.
  test('legacy polar normals agree with numpy within a few ulps', () => {
    const rng = new RandomState(12345);
    for (const expected of draws.standardNormal) {
      const got = rng.standardNormal();
      expect(Math.abs(got - expected)).toBeLessThanOrEqual(4 * ulp(expected));
    }
  });

  test('the three streams of River\'s drift tests are reproduced exactly', () => {
    expect(stream1()).toEqual(streams.stream1);
    expect(stream2()).toEqual(streams.stream2);
    expect(stream3()).toEqual(streams.stream3);
  });
});

describe('golden vectors of issue 3 (River 0.26.1)', () => {
  const s1 = stream1();
  const s2 = stream2();
  const s3 = stream3();

  test('ADWIN() on stream 1 → [1023]', () => {
    expect(drifts(createDetector('adwin'), s1)).toEqual([1023]);
  });

  test('DDM() on stream 2 → [1049]; on 1000 ones → []', () => {
    expect(drifts(createDetector('ddm'), s2)).toEqual([1049]);
    expect(drifts(createDetector('ddm'), new Array<number>(1000).fill(1))).toEqual([]);
  });

  test('EDDM(alpha=0.9, beta=0.8) on stream 2 → [1059]', () => {
    expect(drifts(createDetector('eddm', { alpha: 0.9, beta: 0.8 }), s2)).toEqual([1059]);
  });

  test('HDDM_A() on stream 2 → [1047]; two-sided on stream 3 → [531, 1015, 1545]', () => {
    expect(drifts(createDetector('hddm-a'), s2)).toEqual([1047]);
    expect(drifts(createDetector('hddm-a', { twoSidedTest: true }), s3)).toEqual([531, 1015, 1545]);
  });

  test('HDDM_W() on stream 2 → [1018]; two-sided on stream 3 → [507, 1032, 1508]', () => {
    expect(drifts(createDetector('hddm-w'), s2)).toEqual([1018]);
    expect(drifts(createDetector('hddm-w', { twoSidedTest: true }), s3)).toEqual([507, 1032, 1508]);
  });

  test('PageHinkley on stream 3: up → [588, 1681], down → [1172], both → [588, 1097, 1585]', () => {
    expect(drifts(createDetector('page-hinkley', { mode: 'up' }), s3)).toEqual([588, 1681]);
    expect(drifts(createDetector('page-hinkley', { mode: 'down' }), s3)).toEqual([1172]);
    expect(drifts(createDetector('page-hinkley', { mode: 'both' }), s3)).toEqual([588, 1097, 1585]);
  });
});

describe('River 0.26.1 fixture (river-golden.json): drifts, warnings and ADWIN window state', () => {
  const file = goldenCases();
  const { streams } = numpyStreams();
  const byName: Record<string, number[]> = { ...streams, ones1000: new Array<number>(1000).fill(1) };

  test('fixtures were produced by River 0.26.1', () => {
    expect(file.river).toBe('0.26.1');
  });

  test.each(file.cases.map((c) => [`${c.detector} ${JSON.stringify(c.params)} on ${c.stream}`, c] as const))('%s', (_label, c) => {
    const detector = build(c);
    const stream = byName[c.stream];
    const result = runDetector(detector, stream);
    expect(result.drifts).toEqual(c.drifts);
    if (c.warnings) expect(result.warnings).toEqual(c.warnings);
    if (c.trace) {
      const adwin = build(c) as Adwin;
      const got: [number, number, number, number][] = [];
      const wanted = new Set(c.trace.map((t) => t[0]));
      stream.forEach((x, i) => {
        adwin.update(x);
        if (wanted.has(i)) got.push([i, adwin.windowWidth, adwin.windowTotal, adwin.windowVarianceSum]);
      });
      expect(got).toEqual(c.trace);
    }
  });
});
