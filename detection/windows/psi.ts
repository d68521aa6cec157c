/**
 * Population Stability Index: PSI = Σ_i (p_i − q_i) ln(p_i / q_i), the symmetrised KL divergence
 * between the current window's bin proportions p and the reference's q.
 *
 * Binning: k equal-frequency bins cut at the reference window's quantiles (default k = 10, the
 * usual "deciles"); the outer bins are open-ended so no current value is dropped; repeated
 * quantiles collapse into one edge, so a reference with few distinct values gets fewer bins.
 * Empty bins: a proportion of zero would make ln(p/q) infinite, so every proportion is floored at
 * ε = 1e-4 and the proportions renormalised (`epsilon` option).
 * Drift when PSI ≥ threshold (default 0.25, the conventional "significant shift"; 0.1 is
 * "moderate").
 *
 * Example: psiTest(reference N(0,1) × 1000, current N(0.5,1) × 1000) → PSI ≈ 0.25.
 */
import { type BinOptions, type Sample, type WindowTestResult, binnedPair, checkLevel, standardScore } from './common';

export interface PsiOptions extends BinOptions {
  threshold?: number;
}

export function psiTest(reference: Sample, current: Sample, opts: PsiOptions = {}): WindowTestResult {
  const threshold = checkLevel('psi', 'threshold', opts.threshold ?? 0.25, 0, Infinity);
  const { p, q, nRef, nCur } = binnedPair('psi', reference, current, opts);
  let statistic = 0;
  for (let i = 0; i < p.length; i++) statistic += (p[i] - q[i]) * Math.log(p[i] / q[i]);
  statistic = Math.max(0, statistic);
  return { test: 'psi', statistic, score: standardScore(statistic, threshold), drift: statistic >= threshold, level: threshold, n: { reference: nRef, current: nCur } };
}
