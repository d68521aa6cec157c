/**
 * Shared pieces of the window tests: the result shape, input checks, the standardised score,
 * reference-quantile binning and the two special functions the p-values need.
 *
 * Standardised score: every test maps its statistic s (or −ln p for tests with a p-value) onto
 * [0, 1] as score = s / (s + s*), where s* is the statistic at the drift level. So score = 0.5
 * exactly at the configured level, whatever the test, and `drift ⇔ score ≥ 0.5` — which lets
 * fusion weigh a PSI against a KS test without knowing either.
 */
import { HomeostatError } from '../../common/errors';

export const WINDOW_TESTS = ['kl', 'psi', 'ks', 'chi-square', 'jensen-shannon', 'wasserstein'] as const;
export type WindowTestName = (typeof WINDOW_TESTS)[number];

export interface WindowTestResult {
  test: WindowTestName;
  /** The test statistic (divergence, PSI, D, χ², W₁/scale). */
  statistic: number;
  /** Only for the tests that have one (KS, χ²). */
  pValue?: number;
  /** Standardised anomaly score in [0, 1]; 0.5 exactly at the drift level. */
  score: number;
  /** True when the statistic reaches the drift level (or the p-value falls to it). */
  drift: boolean;
  /** The level used: a statistic threshold, or the significance level α for p-value tests. */
  level: number;
  /** Sizes of the reference and current windows. */
  n: { reference: number; current: number };
}

export type Sample = ArrayLike<number>;

export function invalid(test: string, message: string): HomeostatError {
  return new HomeostatError('HS_INVALID_INPUT', `${test}: ${message}`);
}

/** Copies a sample, rejecting empty input and non-finite values (a NaN would poison every bin). */
export function checkSample(test: string, which: string, xs: Sample): Float64Array {
  if (xs.length === 0) throw invalid(test, `${which} window is empty`);
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw invalid(test, `${which}[${i}] must be a finite number, got ${String(x)}`);
    }
    out[i] = x;
  }
  return out;
}

export function checkLevel(test: string, name: string, v: number, lo: number, hi: number): number {
  if (!(Number.isFinite(v) && v > lo && v < hi)) throw invalid(test, `${name} must be in (${lo}, ${hi}), got ${v}`);
  return v;
}

/** score = s/(s + s*): 0 at s = 0, 0.5 at the level, → 1 as s grows. */
export function standardScore(statistic: number, atLevel: number): number {
  if (!(statistic > 0)) return 0;
  if (!Number.isFinite(statistic)) return 1;
  return statistic / (statistic + atLevel);
}

/** Score for p-value tests: the same map on −ln p against −ln α. */
export function pValueScore(p: number, alpha: number): number {
  return standardScore(-Math.log(Math.max(p, Number.MIN_VALUE)), -Math.log(alpha));
}

export interface BinOptions {
  /** Number of equal-frequency bins cut on the reference window. Default 10. */
  bins?: number;
  /**
   * Floor for a bin's probability, so an empty bin gives a large but finite divergence instead of
   * infinity or a division by zero. Proportions are floored then renormalised. Default 1e-4
   * (the value commonly used for PSI in credit scoring).
   */
  epsilon?: number;
}

/**
 * Binning shared by KL, PSI and Jensen–Shannon: cut points are the reference window's quantiles
 * at 1/k, 2/k, … (duplicates removed, so a reference with few distinct values gets fewer bins);
 * the outer bins are open-ended, so current values outside the reference range land in the first
 * or last bin rather than being dropped. Bin i holds values in (edge[i−1], edge[i]].
 */
export function quantileEdges(reference: Float64Array, bins: number): Float64Array {
  const sorted = Float64Array.from(reference).sort();
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const q = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins))];
    if (edges.length === 0 || q > edges[edges.length - 1]) edges.push(q);
  }
  // Drop a last edge equal to the maximum: it would leave an always-empty top bin.
  if (edges.length > 0 && edges[edges.length - 1] >= sorted[sorted.length - 1]) edges.pop();
  return Float64Array.from(edges);
}

export function binCounts(xs: Float64Array, edges: Float64Array): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x <= edges[mid]) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]++;
  }
  return counts;
}

export function proportions(counts: Float64Array, epsilon: number): Float64Array {
  let n = 0;
  for (const c of counts) n += c;
  const p = new Float64Array(counts.length);
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    p[i] = Math.max(counts[i] / n, epsilon);
    total += p[i];
  }
  for (let i = 0; i < p.length; i++) p[i] /= total;
  return p;
}

/** Binned proportions of both windows on the reference's quantile bins. */
export function binnedPair(test: string, reference: Sample, current: Sample, opts: BinOptions = {}): { p: Float64Array; q: Float64Array; nRef: number; nCur: number } {
  const bins = opts.bins ?? 10;
  const epsilon = opts.epsilon ?? 1e-4;
  if (!Number.isInteger(bins) || bins < 2) throw invalid(test, `bins must be an integer ≥ 2, got ${bins}`);
  checkLevel(test, 'epsilon', epsilon, 0, 1);
  const ref = checkSample(test, 'reference', reference);
  const cur = checkSample(test, 'current', current);
  const edges = quantileEdges(ref, bins);
  return { q: proportions(binCounts(ref, edges), epsilon), p: proportions(binCounts(cur, edges), epsilon), nRef: ref.length, nCur: cur.length };
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error < 1e-13). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a): the χ² survival function is
 * Q(df/2, χ²/2). Series for x < a + 1, Lentz continued fraction otherwise.
 */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPre = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPre));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(lnPre) * h);
}

/** Kolmogorov survival function Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}. */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  let sign = 1;
  for (let k = 1; k <= 100; k++) {
    const term = sign * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-16) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}
