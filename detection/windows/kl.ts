/**
 * Kullback–Leibler divergence of the current window P from the reference Q on the reference's
 * quantile bins: D_KL(P‖Q) = Σ_i p_i ln(p_i / q_i), in nats. Empty bins are floored at ε (see
 * `binnedPair`), so a value range the reference never produced yields a large, finite divergence.
 * Drift when D ≥ threshold (default 0.1 nats).
 *
 * Example: klTest([1..1000], [501..1500]) → statistic ≈ 1.07 nats, score ≈ 0.91, drift true.
 */
import { type BinOptions, type Sample, type WindowTestResult, binnedPair, checkLevel, standardScore } from './common';

export interface KlOptions extends BinOptions {
  threshold?: number;
}

export function klDivergence(p: Float64Array, q: Float64Array): number {
  let d = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) d += p[i] * Math.log(p[i] / q[i]);
  return Math.max(0, d);
}

export function klTest(reference: Sample, current: Sample, opts: KlOptions = {}): WindowTestResult {
  const threshold = checkLevel('kl', 'threshold', opts.threshold ?? 0.1, 0, Infinity);
  const { p, q, nRef, nCur } = binnedPair('kl', reference, current, opts);
  const statistic = klDivergence(p, q);
  return { test: 'kl', statistic, score: standardScore(statistic, threshold), drift: statistic >= threshold, level: threshold, n: { reference: nRef, current: nCur } };
}
