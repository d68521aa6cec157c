/**
 * The Homeostat detector configuration that runs on NAB: several online detectors at different
 * time scales, fused with `ComponentHealth`, then a likelihood layer and suppression.
 *
 * Per row (value x_t at time t), strictly online (no look-ahead):
 *  1. Features, each a robust z-score against exponentially weighted statistics whose updates are
 *     winsorised (a spike must not inflate the scale that judges the next spike):
 *     - `level`    x_t against slow mean/scale            (spikes, level shifts)
 *     - `delta`    x_t − x_{t−1} against the scale of deltas (sudden jumps)
 *     - `shift`    mean of the last few rows against the slow statistics (sustained shifts)
 *     - `vol`      |log(short-term / long-term scale of deltas)| (flat-lines, noise bursts)
 *     - `seasonal` x_t − x_{t−P} against its own scale, P = one day in rows when the sampling
 *                  interval divides a day (breaks in daily patterns)
 *     Each z becomes a standardised score a = z/(z + k) in [0, 1).
 *  2. Fusion: s_t = Σ w_i a_{t,i} through `ComponentHealth` (alpha = 1: smoothing happens in 3).
 *  3. Likelihood (after NAB's anomaly-likelihood idea): the short moving average of s_t is compared
 *     with the long-run mean and deviation of s_t; the Gaussian tail gives a likelihood L_t, mapped
 *     to a log scale so that 1 − 10⁻⁵ and 1 − 10⁻⁸ stay distinguishable.
 *  4. Suppression: after a row scores above `suppressLevel`, the next `suppressRows` rows emit at most
 *     that score's … nothing (0): one alarm per event, as an operator wants and as NAB rewards.
 *
 * The probation length (NAB gives it to every detector) is used only to size the learning period.
 */
import { ComponentHealth } from '../fusion';
import { SlidingRank } from './sliding-rank';

export interface NabStreamDetector {
  /** Consumes one row and returns its anomaly score in [0, 1]. */
  next(x: number, t: number): number;
}

export interface NabDetectorFactory {
  readonly name: string;
  create(ctx: { probation: number }): NabStreamDetector;
}

export interface HomeostatNabParams {
  /** Rows of history each rank detector compares against. */
  history: number;
  /** Rows averaged by the `shift` detector. */
  shiftRows: number;
  /** Rows over which `vol` averages |Δx|. */
  volRows: number;
  /** Surprise (−log10 p) that maps to a standardised score of 1. */
  maxSurprise: number;
  weights: { value: number; delta: number; shift: number; vol: number; seasonal: number; context: number; trend: number };
  /** Rows averaged by the slow `trend` detector. */
  trendRows: number;
  /** Quantile bins and length of the contexts whose novelty the `context` detector measures. */
  bins: number;
  contextLen: number;
  /** Rows over which the information content of contexts is averaged. */
  contextAvg: number;
  /** Rows after the first one before scores are emitted (history too thin before). */
  warmup: number;
  /** Fused level at or above which a detection is emitted and then suppressed. */
  suppressLevel: number;
  suppressRows: number;
  /** Power applied to the fused score (sharpens the top end without changing ranks within a file). */
  gamma: number;
  /** Use the max of the standardised scores instead of the weighted sum (ablation). */
  useMax: boolean;
  /** When > 0, the fused level is re-ranked against its own history; this surprise maps to 1. */
  renorm: number;
  renormMix: number;
  renormHistory: number;
  /** Inside the suppression span a new score must exceed the last emitted one by this factor. */
  recordFactor: number;
  /** Rows without a new high after which a burst's peak is emitted (0: emit records at once). */
  confirmRows: number;
  /** Emissions remembered for the discount of events that many recent ones beat (0: off). */
  emitMemory: number;
  emitDiscount: number;
  /** Exponent of the power mean that fuses the standardised scores (1: weighted mean). */
  power: number;
}

export const DEFAULT_NAB_PARAMS: HomeostatNabParams = {
  history: 1500,
  shiftRows: 6,
  volRows: 12,
  maxSurprise: 6,
  weights: { value: 1, delta: 1, shift: 1, vol: 1, seasonal: 1, context: 1, trend: 0 },
  trendRows: 48,
  bins: 6,
  contextLen: 5,
  contextAvg: 6,
  warmup: 100,
  suppressLevel: 0.5,
  suppressRows: 300,
  gamma: 1,
  useMax: false,
  renorm: 0,
  renormMix: 0,
  renormHistory: 6000,
  recordFactor: 1,
  confirmRows: 0,
  emitMemory: 0,
  emitDiscount: 0.5,
  power: 1,
};

const DAY_MS = 86_400_000;
const SIGNALS = ['value', 'delta', 'shift', 'vol', 'seasonal', 'context', 'trend'] as const;

class HomeostatNabStream implements NabStreamDetector {
  private readonly p: HomeostatNabParams;
  private readonly ranks: Record<(typeof SIGNALS)[number], SlidingRank>;
  private readonly shiftBuf: Float64Array;
  private shiftSum = 0;
  private readonly volBuf: Float64Array;
  private volSum = 0;
  private readonly health: ComponentHealth;
  private prev = Number.NaN;
  private prevT = Number.NaN;
  private row = 0;
  private period = 0;
  private history: Float64Array | null = null;
  private suppressUntil = -1;
  private lastRow = -1e9;
  private lastValue = 0;
  private candValue = 0;
  private readonly emitted: SlidingRank;
  private candRow = -1;
  private readonly fused: SlidingRank;
  private readonly base: number;
  private readonly modulus: number;
  private readonly counts: Uint32Array;
  private key = 0;
  private readonly ctxBuf: Float64Array;
  private ctxSum = 0;
  private readonly trendBuf: Float64Array;
  private trendSum = 0;

  constructor(params: HomeostatNabParams, probation: number) {
    this.p = params;
    void probation;
    const h = params.history;
    this.ranks = {
      value: new SlidingRank(h),
      delta: new SlidingRank(h),
      shift: new SlidingRank(h),
      vol: new SlidingRank(h),
      seasonal: new SlidingRank(h),
      context: new SlidingRank(h),
      trend: new SlidingRank(h),
    };
    this.trendBuf = new Float64Array(params.trendRows);
    const base = params.bins + 2;
    this.base = base;
    this.modulus = Math.pow(base, params.contextLen - 1);
    this.counts = new Uint32Array(this.modulus * base);
    this.ctxBuf = new Float64Array(params.contextAvg);
    this.fused = new SlidingRank(params.renormHistory);
    this.emitted = new SlidingRank(Math.max(1, params.emitMemory));
    this.shiftBuf = new Float64Array(params.shiftRows);
    this.volBuf = new Float64Array(params.volRows);
    const w = params.weights;
    this.health = new ComponentHealth({
      alpha: 1,
      open: 1,
      close: 0.5,
      detectors: SIGNALS.map((name) => ({ name, signal: name, layer: 'data' as const, weight: w[name] })),
    });
  }

  next(x: number, t: number): number {
    const p = this.p;
    const r = this.row++;
    // Seasonality is inferred from the first sampling interval, when it divides a day.
    if (this.period === 0 && Number.isFinite(this.prevT)) {
      const dt = t - this.prevT;
      if (dt > 0 && DAY_MS % dt === 0 && DAY_MS / dt <= 2000 && DAY_MS / dt >= 8) {
        this.period = DAY_MS / dt;
        this.history = new Float64Array(this.period);
      } else {
        this.period = -1;
      }
    }
    this.prevT = t;
    const d = Number.isNaN(this.prev) ? 0 : x - this.prev;
    this.prev = x;
    const si = r % p.shiftRows;
    this.shiftSum += x - this.shiftBuf[si];
    this.shiftBuf[si] = x;
    const shift = this.shiftSum / Math.min(r + 1, p.shiftRows);
    const ti = r % p.trendRows;
    this.trendSum += x - this.trendBuf[ti];
    this.trendBuf[ti] = x;
    const trend = this.trendSum / Math.min(r + 1, p.trendRows);
    const vi = r % p.volRows;
    const ad = Math.abs(d);
    this.volSum += ad - this.volBuf[vi];
    this.volBuf[vi] = ad;
    const vol = this.volSum / Math.min(r + 1, p.volRows);
    let seasonal = Number.NaN;
    if (this.history) {
      const i = r % this.period;
      if (r >= this.period) seasonal = x - this.history[i];
      this.history[i] = x;
    }

    const rk = this.ranks;
    // Context novelty: quantile bin of x (two extra bins for "beyond the range seen"), the last
    // contextLen bins form a key, and the information content −log2 P(key) says how new the shape is.
    const vr = rk.value;
    let bin: number;
    if (vr.size === 0) bin = 0;
    else if (x > vr.max) bin = p.bins;
    else if (x < vr.min) bin = p.bins + 1;
    else bin = Math.min(p.bins - 1, Math.floor(vr.cdf(x) * p.bins));
    this.key = (this.key % this.modulus) * this.base + bin;
    let info = 0;
    if (r >= p.contextLen - 1) {
      info = -Math.log2((this.counts[this.key] + 0.5) / (r + 1));
      this.counts[this.key]++;
    }
    const ci = r % p.contextAvg;
    this.ctxSum += info - this.ctxBuf[ci];
    this.ctxBuf[ci] = info;
    const ctx = this.ctxSum / p.contextAvg;
    const u = {
      value: rk.value.surprise(x),
      delta: r > 0 ? rk.delta.surprise(d) : 0,
      shift: r >= p.shiftRows ? rk.shift.surprise(shift) : 0,
      vol: r >= p.volRows ? rk.vol.surprise(vol) : 0,
      seasonal: Number.isNaN(seasonal) ? 0 : rk.seasonal.surprise(seasonal),
      context: r >= p.contextLen + p.contextAvg ? rk.context.surprise(ctx, 1) : 0,
      trend: r >= p.trendRows ? rk.trend.surprise(trend) : 0,
    };
    if (r >= p.trendRows) rk.trend.push(trend);
    if (r >= p.contextLen + p.contextAvg) rk.context.push(ctx);
    rk.value.push(x);
    if (r > 0) rk.delta.push(d);
    if (r >= p.shiftRows) rk.shift.push(shift);
    if (r >= p.volRows) rk.vol.push(vol);
    if (!Number.isNaN(seasonal)) rk.seasonal.push(seasonal);

    const hc = this.health;
    let s = 0;
    let mx = 0;
    for (const name of SIGNALS) {
      const a = Math.min(1, u[name] / p.maxSurprise);
      if (a * p.weights[name] > mx) mx = a;
      // Power mean: a^p is fused, then the p-th root taken, so one detector at full alarm can
      // carry the fused level (p → ∞ is the max) while agreement of several still adds up.
      s = hc.observeScore(name, p.power === 1 ? a : Math.pow(a, p.power)).instant;
    }
    if (p.power !== 1) s = Math.pow(s, 1 / p.power);
    let out = p.useMax ? mx : s;
    out = Math.pow(out, p.gamma);
    if (p.renorm > 0) {
      // Second stage: how unusual is this fused level for this very stream?
      const raw = out;
      out = Math.min(1, this.fused.surprise(raw, 1) / p.renorm) * (1 - p.renormMix) + raw * p.renormMix;
      this.fused.push(raw);
    }
    if (r < p.warmup) return 0;
    if (p.suppressLevel > 0) {
      if (r <= this.suppressUntil) return 0;
      if (out >= p.suppressLevel) this.suppressUntil = r + p.suppressRows;
      return out;
    }
    // Threshold-free suppression: within suppressRows of the last emitted score, only a higher
    // score is emitted, so whatever threshold is later chosen, a burst yields one detection.
    if (p.confirmRows > 0) return this.confirmPeak(r, out);
    if (r - this.lastRow <= p.suppressRows && out <= this.lastValue * p.recordFactor) return 0;
    this.lastRow = r;
    this.lastValue = out;
    if (p.emitMemory > 0) {
      // An event no bigger than many recent events of this stream is less news: discount it.
      const n = this.emitted.size;
      const beaten = n > 0 ? 1 - this.emitted.cdf(out) + (this.emitted.cdf(out) - this.emitted.cdfBelow(out)) : 0;
      this.emitted.push(out);
      return out * (1 - p.emitDiscount * beaten);
    }
    return out;
  }

  /**
   * Peak confirmation: a rising burst is followed until `confirmRows` rows pass without a new
   * high, and only then is its peak emitted (once). A burst therefore yields one detection at any
   * threshold, at the cost of a detection `confirmRows` rows later than its first row.
   */
  private confirmPeak(r: number, out: number): number {
    const p = this.p;
    const inSpan = r - this.lastRow <= p.suppressRows;
    const bar = inSpan ? this.lastValue : 0;
    if (out > this.candValue && out > bar) {
      this.candValue = out;
      this.candRow = r;
    }
    if (this.candValue > 0 && r - this.candRow >= p.confirmRows) {
      const v = this.candValue;
      this.candValue = 0;
      this.lastRow = r;
      this.lastValue = v;
      return v;
    }
    return 0;
  }
}

/** Complementary error function (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851547 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export function homeostatNabDetector(params: Partial<HomeostatNabParams> = {}): NabDetectorFactory {
  const p: HomeostatNabParams = { ...DEFAULT_NAB_PARAMS, ...params, weights: { ...DEFAULT_NAB_PARAMS.weights, ...params.weights } };
  return { name: 'homeostat', create: ({ probation }) => new HomeostatNabStream(p, probation) };
}

/** Never fires: NAB's null detector (normalised score 0 by definition). */
export const nullNabDetector: NabDetectorFactory = { name: 'null', create: () => ({ next: () => 0 }) };
