/**
 * Two-sample Kolmogorov–Smirnov test: D = sup_x |F_ref(x) − F_cur(x)| over the two empirical CDFs,
 * with the asymptotic p-value Q_KS(λ), λ = (√nₑ + 0.12 + 0.11/√nₑ)·D, nₑ = n·m/(n + m)
 * (Stephens' small-sample correction). Drift when p ≤ alpha (default 0.01: a monitor runs the
 * test again and again, so the usual 0.05 would alarm too often).
 *
 * Example: ksTest([0..99], [50..149]) → D = 0.5, p ≈ 1.1e-11, drift true.
 */
import { type Sample, type WindowTestResult, checkLevel, checkSample, kolmogorovQ, pValueScore } from './common';

export interface KsOptions {
  alpha?: number;
}

export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = x[i] <= y[j] ? x[i] : y[j];
    // Advance past ties on both sides before comparing the CDFs.
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    const diff = Math.abs(i / x.length - j / y.length);
    if (diff > d) d = diff;
  }
  return d;
}

export function ksTest(reference: Sample, current: Sample, opts: KsOptions = {}): WindowTestResult {
  const alpha = checkLevel('ks', 'alpha', opts.alpha ?? 0.01, 0, 1);
  const ref = checkSample('ks', 'reference', reference);
  const cur = checkSample('ks', 'current', current);
  const statistic = ksStatistic(ref, cur);
  const ne = (ref.length * cur.length) / (ref.length + cur.length);
  const sq = Math.sqrt(ne);
  const pValue = kolmogorovQ((sq + 0.12 + 0.11 / sq) * statistic);
  return {
    test: 'ks',
    statistic,
    pValue,
    score: pValueScore(pValue, alpha),
    drift: pValue <= alpha,
    level: alpha,
    n: { reference: ref.length, current: cur.length },
  };
}
