/**
 * Normalised Wasserstein-1 (earth mover's) distance between the empirical distributions of the
 * two windows: W₁ = ∫ |F_ref(x) − F_cur(x)| dx, divided by the reference's standard deviation so
 * the figure reads "how many reference σ the mass had to move" and is unit-free (falls back to the
 * reference's range, then to 1, when the reference is constant). A pure mean shift of k·σ gives k.
 * Drift when W₁/σ ≥ threshold (default 0.25).
 */
import { type Sample, type WindowTestResult, checkLevel, checkSample, standardScore } from './common';

export interface WassersteinOptions {
  threshold?: number;
}

export function wasserstein1(a: Float64Array, b: Float64Array): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let prev = Math.min(x[0], y[0]);
  let area = 0;
  // Walk the merged support; between consecutive points both CDFs are constant.
  while (i < x.length || j < y.length) {
    const v = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
    area += Math.abs(i / x.length - j / y.length) * (v - prev);
    prev = v;
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
  }
  return area;
}

export function wassersteinTest(reference: Sample, current: Sample, opts: WassersteinOptions = {}): WindowTestResult {
  const threshold = checkLevel('wasserstein', 'threshold', opts.threshold ?? 0.25, 0, Infinity);
  const ref = checkSample('wasserstein', 'reference', reference);
  const cur = checkSample('wasserstein', 'current', current);
  let mean = 0;
  for (const v of ref) mean += v;
  mean /= ref.length;
  let ss = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ref) {
    ss += (v - mean) * (v - mean);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const sd = Math.sqrt(ss / ref.length);
  const scale = sd > 0 ? sd : hi > lo ? hi - lo : 1;
  const statistic = wasserstein1(ref, cur) / scale;
  return {
    test: 'wasserstein',
    statistic,
    score: standardScore(statistic, threshold),
    drift: statistic >= threshold,
    level: threshold,
    n: { reference: ref.length, current: cur.length },
  };
}
