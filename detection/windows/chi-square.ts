/**
 * χ² test of homogeneity for a categorical field: are the reference and current windows drawn
 * from the same category distribution? On the 2 × k table of counts (categories seen in either
 * window), χ² = Σ (O − E)²/E with E from the pooled proportions, df = k − 1, p = Q(df/2, χ²/2).
 * A category that appears only in the current window counts fully (a new enum value is drift).
 * Drift when p ≤ alpha (default 0.01). With a single category overall, χ² = 0 and p = 1.
 *
 * Inputs: arrays of category labels, or maps of label → count.
 *
 * Example: chiSquareTest(['a'×50, 'b'×50], ['a'×80, 'b'×20]) → χ² ≈ 19.78, df 1, p ≈ 8.7e-6.
 */
import { type WindowTestResult, checkLevel, gammaQ, invalid, pValueScore } from './common';

export type Categorical = readonly (string | number | boolean)[] | ReadonlyMap<string, number> | Readonly<Record<string, number>>;

export interface ChiSquareOptions {
  alpha?: number;
}

export interface ChiSquareResult extends WindowTestResult {
  degreesOfFreedom: number;
  /** Categories present in the current window but never in the reference. */
  newCategories: string[];
}

function toCounts(which: string, x: Categorical): Map<string, number> {
  const m = new Map<string, number>();
  if (Array.isArray(x)) {
    for (const v of x as readonly (string | number | boolean)[]) m.set(String(v), (m.get(String(v)) ?? 0) + 1);
    return m;
  }
  const entries = x instanceof Map ? [...(x as ReadonlyMap<string, number>).entries()] : Object.entries(x);
  for (const [k, c] of entries) {
    if (!(Number.isFinite(c) && c >= 0)) throw invalid('chi-square', `${which} count for "${k}" must be a finite number ≥ 0, got ${c}`);
    m.set(k, (m.get(k) ?? 0) + c);
  }
  return m;
}

export function chiSquareTest(reference: Categorical, current: Categorical, opts: ChiSquareOptions = {}): ChiSquareResult {
  const alpha = checkLevel('chi-square', 'alpha', opts.alpha ?? 0.01, 0, 1);
  const ref = toCounts('reference', reference);
  const cur = toCounts('current', current);
  let nr = 0;
  let nc = 0;
  for (const c of ref.values()) nr += c;
  for (const c of cur.values()) nc += c;
  if (nr === 0) throw invalid('chi-square', 'reference window is empty');
  if (nc === 0) throw invalid('chi-square', 'current window is empty');
  const cats = [...new Set([...ref.keys(), ...cur.keys()])].filter((k) => (ref.get(k) ?? 0) + (cur.get(k) ?? 0) > 0);
  const n = nr + nc;
  let statistic = 0;
  for (const k of cats) {
    const r = ref.get(k) ?? 0;
    const c = cur.get(k) ?? 0;
    const er = ((r + c) * nr) / n;
    const ec = ((r + c) * nc) / n;
    statistic += ((r - er) * (r - er)) / er + ((c - ec) * (c - ec)) / ec;
  }
  const df = Math.max(0, cats.length - 1);
  const pValue = df === 0 ? 1 : gammaQ(df / 2, statistic / 2);
  return {
    test: 'chi-square',
    statistic,
    pValue,
    degreesOfFreedom: df,
    newCategories: cats.filter((k) => !ref.has(k) || ref.get(k) === 0),
    score: pValueScore(pValue, alpha),
    drift: pValue <= alpha,
    level: alpha,
    n: { reference: nr, current: nc },
  };
}
