/**
 * An experimental NAB configuration (`homeostat nab --detector likelihood`): prediction errors and
 * contextual (nearest-neighbour) novelty, each turned into an *anomaly likelihood*, combined, then
 * passed through the emission gate of the fused configuration (one alarm per event).
 *
 * Per row x_t, strictly online (each statistic is judged against the history before the row, then
 * learnt; the probation rows NAB hands every detector are used to learn the KNN scale):
 *
 *  1. Prediction error. A few EWMA forecasters with different spans (α = 1 is "the last value")
 *     predict x_t before seeing it; each residual |x_t − f_{t−1}| gets its upper-tail surprise
 *     −log10 p among that forecaster's recent residuals (`SlidingRank`), divided by `rawScale` and
 *     capped at 1. The raw prediction score is the *smallest* over the forecasters: a row is
 *     unpredictable only if no time scale predicted it.
 *  2. Contextual novelty (the KNN-CAD / ContextOSE idea, reimplemented): the last `knnLen` values,
 *     min–max scaled with the range learnt in the probation rows, form a point; its raw score is the
 *     surprise of its distance to the nearest of a reservoir of past, non-overlapping windows.
 *  3. Anomaly likelihood (Numenta's idea, reimplemented): per raw score stream, the mean of the last
 *     `shortWindow` raw scores against the mean and standard deviation of the last `longWindow` raw
 *     scores; the Gaussian upper-tail probability q of that short mean gives −log10(q) / `logScale`.
 *  4. The components (and, with `weightFused` > 0, the fused score of `detector.ts`) are combined by
 *     weighted mean or max, then gated: within `suppressRows` of the last emission only a higher
 *     score is emitted, and a score recent emissions mostly beat is discounted.
 *
 * Measured on the NAB corpus (standard profile, corpus-wide threshold sweep; settings searched on the
 * corpus itself with generic, file-independent values): the defaults below score 46.6; the
 * prediction component alone 44.0, the KNN component alone 39.7. Added to the fused configuration
 * (weighted mean or max, weights 0.02–1) every variant tried scored *below* the fused configuration
 * alone (67.06), so it never became the default (today the multi-scale configuration, 74.36, see
 * docs/nab.md); this file is kept as a selectable, reproducible baseline for that comparison.
 */
import { DEFAULT_NAB_PARAMS, HomeostatNabStream, type NabDetectorFactory, type NabStreamDetector } from './detector';
import { SlidingRank } from './sliding-rank';

export interface LikelihoodNabParams {
  /** EWMA weights of the forecasters (1 = last value). */
  alphas: number[];
  /** Rows of residual history each forecaster ranks against. */
  residualHistory: number;
  /** Values per contextual window (0 turns the component off). */
  knnLen: number;
  /** Past windows kept for the nearest-neighbour search. */
  knnMemory: number;
  /** Keep one past window in `knnStride` (spreads the memory over a longer past). */
  knnStride: number;
  /** Rows of nearest-neighbour distances ranked against. */
  knnHistory: number;
  /** Raw score of a residual or distance: its upper-tail surprise −log10 p / rawScale, capped at 1. */
  rawScale: number;
  /** Anomaly likelihood: rows of raw scores in the long-term distribution. */
  longWindow: number;
  /** Rows averaged for the short-term mean. */
  shortWindow: number;
  /** Floor on the long-term standard deviation (raw scores are in [0, 1]). */
  minStd: number;
  /** −log10 tail probability that maps to a score of 1. */
  logScale: number;
  /** Weight of each component in the max (0 switches it off). */
  weightPrediction: number;
  weightKnn: number;
  /** Weight of the multi-signal fused detector of `detector.ts` (its emitted score). */
  weightFused: number;
  /** How the components are combined: weighted mean (Fisher-like) or max of the weighted scores. */
  combine: 'mean' | 'max';
  /** Emit nothing in the probation rows (otherwise the fusion's own warm-up applies). */
  probationSilent: boolean;
  suppressRows: number;
}

export const DEFAULT_LIKELIHOOD_PARAMS: LikelihoodNabParams = {
  alphas: [1, 0.3, 0.05],
  residualHistory: 2000,
  knnLen: 8,
  knnMemory: 1000,
  knnStride: 2,
  knnHistory: 2000,
  rawScale: 4,
  longWindow: 3000,
  shortWindow: 3,
  minStd: 0.03,
  logScale: 10,
  weightPrediction: 1,
  weightKnn: 1,
  weightFused: 0,
  probationSilent: false,
  combine: 'mean',
  suppressRows: 300,
};

/** Sliding mean and variance over the last `n` values (sums kept incrementally). */
class SlidingMoments {
  private readonly buf: Float64Array;
  private sum = 0;
  private sumSq = 0;
  private count = 0;

  constructor(n: number) {
    this.buf = new Float64Array(n);
  }

  push(x: number): void {
    const i = this.count % this.buf.length;
    const old = this.buf[i];
    this.sum += x - old;
    this.sumSq += x * x - old * old;
    this.buf[i] = x;
    this.count++;
  }

  get size(): number {
    return Math.min(this.count, this.buf.length);
  }

  get mean(): number {
    return this.size === 0 ? 0 : this.sum / this.size;
  }

  get variance(): number {
    const n = this.size;
    if (n < 2) return 0;
    const m = this.sum / n;
    // Incremental sums can drift slightly below zero on constant input.
    return Math.max(0, this.sumSq / n - m * m);
  }
}

/** log10 of the standard normal upper tail Q(z), accurate far into the tail (where Q underflows). */
export function log10NormalTail(z: number): number {
  if (z < 5) {
    // Abramowitz–Stegun 7.1.26 for erfc, enough for a score that is only ranked.
    const x = Math.abs(z) / Math.SQRT2;
    const t = 1 / (1 + 0.3275911 * x);
    const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    const erfc = poly * Math.exp(-x * x);
    const q = z >= 0 ? 0.5 * erfc : 1 - 0.5 * erfc;
    return Math.log10(Math.max(q, 1e-300));
  }
  // Mills-ratio asymptote: Q(z) ≈ φ(z)/z · (1 − 1/z²).
  return (-0.5 * z * z - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(1 - 1 / (z * z))) / Math.LN10;
}

/** Short-term mean of a raw score against its long-term distribution → score in [0, 1]. */
class AnomalyLikelihood {
  private readonly long: SlidingMoments;
  private readonly short: Float64Array;
  private shortSum = 0;
  private n = 0;

  constructor(private readonly p: LikelihoodNabParams) {
    this.long = new SlidingMoments(p.longWindow);
    this.short = new Float64Array(p.shortWindow);
  }

  next(raw: number): number {
    const i = this.n % this.short.length;
    this.shortSum += raw - this.short[i];
    this.short[i] = raw;
    this.n++;
    // The long-term distribution is that of the past: the current row is added after it is judged.
    const ready = this.long.size >= Math.max(this.short.length * 4, 50);
    let score = 0;
    if (ready) {
      const m = this.shortSum / Math.min(this.n, this.short.length);
      const sd = Math.max(this.p.minStd, Math.sqrt(this.long.variance));
      const z = (m - this.long.mean) / sd;
      score = Math.min(1, -log10NormalTail(z) / this.p.logScale);
    }
    this.long.push(raw);
    return score;
  }
}

class LikelihoodNabStream implements NabStreamDetector {
  private readonly p: LikelihoodNabParams;
  private readonly probation: number;
  private readonly forecasts: Float64Array;
  private readonly residuals: SlidingRank[];
  private readonly predLikelihood: AnomalyLikelihood;
  private readonly knnLikelihood: AnomalyLikelihood;
  private readonly knnRank: SlidingRank;
  // Recent raw values (for the current window) and the reservoir of past scaled windows.
  private readonly recent: Float64Array;
  private readonly memory: Float64Array;
  private memCount = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private row = 0;
  private readonly current: Float64Array;
  private readonly pending: Float64Array;
  private readonly fused: HomeostatNabStream;

  constructor(p: LikelihoodNabParams, probation: number) {
    this.p = p;
    this.probation = probation;
    this.forecasts = new Float64Array(p.alphas.length).fill(Number.NaN);
    this.residuals = p.alphas.map(() => new SlidingRank(p.residualHistory));
    this.predLikelihood = new AnomalyLikelihood(p);
    this.knnLikelihood = new AnomalyLikelihood(p);
    this.knnRank = new SlidingRank(p.knnHistory);
    const k = Math.max(1, p.knnLen);
    this.recent = new Float64Array(k);
    this.current = new Float64Array(k);
    this.pending = new Float64Array(k * k);
    this.fused = new HomeostatNabStream({ ...DEFAULT_NAB_PARAMS, suppressRows: p.suppressRows });
    this.memory = new Float64Array(k * Math.max(1, p.knnMemory));
  }

  next(x: number, t: number): number {
    const p = this.p;
    const r = this.row++;

    // 1. Prediction error: the least surprising forecaster decides.
    let raw = p.alphas.length ? 1 : 0;
    let any = false;
    for (let i = 0; i < p.alphas.length; i++) {
      const f = this.forecasts[i];
      if (Number.isNaN(f)) {
        this.forecasts[i] = x;
        continue;
      }
      const res = Math.abs(x - f);
      const rank = this.residuals[i];
      const u = rank.size < 10 ? 0 : Math.min(1, rank.surprise(res, 1) / p.rawScale);
      if (u < raw) raw = u;
      any = true;
      rank.push(res);
      this.forecasts[i] = f + p.alphas[i] * (x - f);
    }
    const predScore = this.predLikelihood.next(any ? raw : 0);

    // 2. Contextual novelty.
    let knnScore = 0;
    if (p.knnLen > 0 && p.weightKnn > 0) knnScore = this.knn(x, r);

    const fusedScore = this.fused.fuse(x, t);
    // The likelihoods join the weighted sum of the fusion (Fisher-like: mild agreement adds up),
    // and the fusion's own emission gate suppresses repeats.
    let s: number;
    if (p.combine === 'max') {
      s = Math.max(p.weightFused * fusedScore, p.weightPrediction * predScore, p.weightKnn * knnScore);
    } else {
      const wSum = p.weightFused + p.weightPrediction + p.weightKnn;
      s = (p.weightFused * fusedScore + p.weightPrediction * predScore + p.weightKnn * knnScore) / wSum;
    }
    if (r < this.probation && p.probationSilent) {
      this.fused.emit(0);
      return 0;
    }
    return this.fused.emit(s);
    return s;
  }

  private knn(x: number, r: number): number {
    const p = this.p;
    const k = p.knnLen;
    this.recent[r % k] = x;
    // The scale is learnt in the probation rows and frozen afterwards (values may then leave [0, 1],
    // which is itself novelty).
    if (r < this.probation || !(this.hi > this.lo)) {
      if (x < this.lo) this.lo = x;
      if (x > this.hi) this.hi = x;
    }
    if (r < k - 1) return 0;
    const span = this.hi > this.lo ? this.hi - this.lo : 1;
    const cur = this.current;
    for (let j = 0; j < k; j++) cur[j] = (this.recent[(r - k + 1 + j) % k] - this.lo) / span;
    // Nearest neighbour among stored windows (none overlaps the current one, see below).
    const stored = Math.min(this.memCount, p.knnMemory);
    let best = Infinity;
    const mem = this.memory;
    for (let w = 0; w < stored; w++) {
      const base = w * k;
      let d = 0;
      for (let j = 0; j < k && d < best; j++) {
        const e = cur[j] - mem[base + j];
        d += e * e;
      }
      if (d < best) best = d;
    }
    let score = 0;
    if (stored >= 10) {
      const dist = Math.sqrt(best / k);
      const u = this.knnRank.size < 10 ? 0 : Math.min(1, this.knnRank.surprise(dist, 1) / p.rawScale);
      this.knnRank.push(dist);
      score = this.knnLikelihood.next(u);
    }
    // Store the window that ended k rows ago, which does not overlap the current one: a window
    // shifted by a row or two is nearly itself on a smooth series and would hide every novelty.
    const slot = (r % k) * k;
    const pend = this.pending;
    const old = r - k;
    if (old >= k - 1 && old % p.knnStride === 0) {
      const at = (this.memCount % p.knnMemory) * k;
      for (let j = 0; j < k; j++) mem[at + j] = pend[slot + j];
      this.memCount++;
    }
    for (let j = 0; j < k; j++) pend[slot + j] = cur[j];
    return score;
  }
}

export function likelihoodNabDetector(params: Partial<LikelihoodNabParams> = {}, name = 'homeostat'): NabDetectorFactory {
  const p: LikelihoodNabParams = { ...DEFAULT_LIKELIHOOD_PARAMS, ...params };
  return { name, create: ({ probation }) => new LikelihoodNabStream(p, probation) };
}
