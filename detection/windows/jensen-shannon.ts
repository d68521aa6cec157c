/**
 * Jensen–Shannon divergence on the reference's quantile bins, base 2 so it lies in [0, 1]:
 * JS(P, Q) = ½ KL(P‖M) + ½ KL(Q‖M), M = ½(P + Q). Symmetric and finite even with empty bins
 * (M is positive wherever P or Q is), so the ε floor only matters for consistency with KL/PSI.
 * Drift when JS ≥ threshold (default 0.1).
 */
import { type BinOptions, type Sample, type WindowTestResult, binnedPair, checkLevel, standardScore } from './common';

export interface JsOptions extends BinOptions {
  threshold?: number;
}

export function jsDivergence(p: Float64Array, q: Float64Array): number {
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const m = 0.5 * (p[i] + q[i]);
    if (p[i] > 0) d += 0.5 * p[i] * Math.log2(p[i] / m);
    if (q[i] > 0) d += 0.5 * q[i] * Math.log2(q[i] / m);
  }
  return Math.min(1, Math.max(0, d));
}

export function jensenShannonTest(reference: Sample, current: Sample, opts: JsOptions = {}): WindowTestResult {
  const threshold = checkLevel('jensen-shannon', 'threshold', opts.threshold ?? 0.1, 0, 1);
  const { p, q, nRef, nCur } = binnedPair('jensen-shannon', reference, current, opts);
  const statistic = jsDivergence(p, q);
  return {
    test: 'jensen-shannon',
    statistic,
    score: standardScore(statistic, threshold),
    drift: statistic >= threshold,
    level: threshold,
    n: { reference: nRef, current: nCur },
  };
}
