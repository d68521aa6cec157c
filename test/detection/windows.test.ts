import {
  chiSquareTest,
  gammaQ,
  jensenShannonTest,
  klTest,
  ksTest,
  logGamma,
  psiTest,
  quantileEdges,
  wassersteinTest,
  WindowTestDetector,
} from '../../detection/windows';

function gaussian(seed: number, n: number, mean = 0, sd = 1): number[] {
  let s = seed;
  const u = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('special functions', () => {
  it('χ² survival and log-gamma match closed forms', () => {
    expect(gammaQ(1.5, 2)).toBeCloseTo(0.2614641299, 8); // χ²(3) survival at 4
    expect(gammaQ(5, 3.2)).toBeCloseTo(0.7806125111, 8); // χ²(10) at 6.4
    expect(gammaQ(0.5, 0.1)).toBeCloseTo(0.6547208460, 8); // erfc(√0.1)
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 10);
  });
});

describe('window tests', () => {
  const ref = gaussian(1, 1000);
  const same = gaussian(2, 1000);
  const shifted = gaussian(3, 1000, 0.5);

  it('do not flag a sample from the reference distribution', () => {
    for (const r of [klTest(ref, same), psiTest(ref, same), ksTest(ref, same), jensenShannonTest(ref, same), wassersteinTest(ref, same)]) {
      expect(r.drift).toBe(false);
      expect(r.score).toBeLessThan(0.5);
    }
  });

  it('flag a half-σ mean shift, with score ≥ 0.5 exactly when drift is set', () => {
    const rs = [klTest(ref, shifted), psiTest(ref, shifted, { threshold: 0.1 }), ksTest(ref, shifted), jensenShannonTest(ref, shifted, { threshold: 0.02 }), wassersteinTest(ref, shifted)];
    for (const r of rs) {
      expect(r.drift).toBe(true);
      expect(r.score).toBeGreaterThanOrEqual(0.5);
      expect(r.score).toBeLessThanOrEqual(1);
    }
    expect(psiTest(ref, shifted).statistic).toBeCloseTo(0.22187, 4);
    expect(psiTest(ref, shifted).drift).toBe(false); // below the 0.25 default: 'moderate' only
    expect(wassersteinTest(ref, shifted).statistic).toBeCloseTo(0.5, 1);
  });

  it('KS: exact statistic and asymptotic p-value on disjoint halves', () => {
    const r = ksTest(range(0, 100), range(50, 100));
    expect(r.statistic).toBe(0.5);
    expect(r.pValue).toBeCloseTo(1.055e-11, 13);
    expect(ksTest([1, 2, 3], [1, 2, 3]).pValue).toBe(1);
  });

  it('KL / Wasserstein on uniform grids', () => {
    expect(klTest(range(1, 1000), range(501, 1000)).statistic).toBeCloseTo(1.0701, 3);
    // Shift of 500 on a uniform 1..1000 (σ = 288.67): 500/σ = √3.
    expect(wassersteinTest(range(1, 1000), range(501, 1000)).statistic).toBeCloseTo(Math.sqrt(3), 5);
  });

  it('PSI binning: reference deciles, open outer bins, empty bins floored (finite)', () => {
    expect(Array.from(quantileEdges(Float64Array.from(range(1, 100)), 10))).toEqual([11, 21, 31, 41, 51, 61, 71, 81, 91]);
    // All current values beyond the reference maximum land in the top bin; the divergence stays finite.
    const r = psiTest(range(1, 100), range(1000, 50));
    expect(Number.isFinite(r.statistic)).toBe(true);
    expect(r.drift).toBe(true);
    // A constant reference has a single bin: no drift is expressible, PSI = 0.
    expect(psiTest([5, 5, 5, 5], [5, 5, 9]).statistic).toBeGreaterThanOrEqual(0);
  });

  it('χ² homogeneity: p-value, new categories, count maps', () => {
    const a = [...Array<string>(50).fill('a'), ...Array<string>(50).fill('b')];
    const b = [...Array<string>(80).fill('a'), ...Array<string>(20).fill('b')];
    const r = chiSquareTest(a, b);
    expect(r.statistic).toBeCloseTo(19.78022, 4);
    expect(r.degreesOfFreedom).toBe(1);
    expect(r.pValue).toBeCloseTo(8.6877e-6, 9);
    expect(r.drift).toBe(true);
    const n = chiSquareTest({ a: 50, b: 50 }, new Map([['a', 48], ['b', 50], ['c', 2]]));
    expect(n.newCategories).toEqual(['c']);
    expect(chiSquareTest(['x', 'x'], ['x']).pValue).toBe(1);
    expect(chiSquareTest({ a: 50, b: 50 }, { a: 52, b: 48 }).drift).toBe(false);
  });

  it('reject empty windows, non-finite values and bad levels with typed errors', () => {
    expect(() => ksTest([], [1])).toThrow(/reference window is empty/);
    expect(() => psiTest([1, 2], [1, Number.NaN])).toThrow(/current\[1\] must be a finite number/);
    expect(() => ksTest([1], [2], { alpha: 2 })).toThrow(/alpha must be in \(0, 1\)/);
    expect(() => klTest([1, 2], [1], { bins: 1 })).toThrow(/bins must be an integer ≥ 2/);
    expect(() => chiSquareTest({ a: -1 }, { a: 1 })).toThrow(expect.objectContaining({ code: 'HS_INVALID_INPUT' }) as Error);
  });
});

describe('WindowTestDetector (a batch test run as a streaming detector)', () => {
  it('takes a reference, tests every step, flags a shift and starts over after a detection', () => {
    const d = new WindowTestDetector((r, c) => ksTest(r, c), { window: 100, step: 10 });
    const xs = [...gaussian(7, 600), ...gaussian(8, 600, 2)];
    const hits: number[] = [];
    xs.forEach((x, i) => {
      if (d.update(x).driftDetected) hits.push(i);
    });
    expect(hits.length).toBeGreaterThanOrEqual(1);
    expect(hits[0]).toBeGreaterThanOrEqual(600);
    expect(hits[0]).toBeLessThan(700);
    expect(d.lastResult?.test).toBe('ks');
    expect(() => new WindowTestDetector((r, c) => ksTest(r, c), { window: 2 })).toThrow(/window must be an integer ≥ 5/);
    expect(() => d.update(Number.NaN)).toThrow(/finite number/);
  });
});
