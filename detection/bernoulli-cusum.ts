/**
 * Bernoulli CUSUM: a one-sided likelihood-ratio CUSUM for a rise in the rate of a 0/1 error
 * stream, against a reference rate that is learnt once and then kept.
 *
 * The first `reference` updates give the in-control rate p₀ (clamped to [½/reference,
 * 1 − ½/reference] so that a reference without errors still has a defined likelihood ratio). The
 * chart is designed for the out-of-control rate p₁ whose odds are `oddsRatio` times p₀'s, and
 * accumulates the log-likelihood ratio of p₁ against p₀:
 *
 *     S_t = max(0, S_{t−1} + x_t·ln(p₁/p₀) + (1 − x_t)·ln((1 − p₁)/(1 − p₀)))
 *
 * and signals when `S_t > threshold` (nats). For the designed rise p₀ → p₁ no detector with the
 * same false-alarm rate has a shorter worst-case delay (Lorden's criterion; Moustakides 1986),
 * which matters for small rises: +6.8 error points on a 10 % rate, under a quarter of a standard
 * deviation per sample, is where mean-shift charts and DDM/HDDM lose most of their power.
 * Fractional inputs in [0, 1] (an error probability) weigh both terms: x·ln(p₁/p₀) + (1 − x)·….
 *
 * Why the reference is kept: River's detectors relearn their reference after each detection. On a
 * deployed model that stays degraded until someone retrains it, that relearning takes the
 * degraded error rate as the new normal, so the next degradation (after a retraining brought the
 * rate back down) reads as an improvement and is missed. Instead, after a detection this chart
 * stays silent for `holdOff` updates — the time the remedy (a retraining) takes — and then
 * restarts its sum at 0 against the same p₀: a model that is still degraded alarms again after a
 * while, one that was fixed stays quiet. With `holdOff = 0` it restarts right after a detection.
 *
 * Score: S_t / threshold, clipped to [0, 1]; 1 exactly on a detection, 0 while learning the
 * reference or holding off.
 *
 * Example (10 % errors, then 20 % from update 1000; the rate of the first 500 is the reference;
 * the hold-off keeps the lasting degradation to one alarm — with `holdOff: 0` it would repeat):
 * ```ts
 * import { RandomState } from './random';
 * import { BernoulliCusum } from './bernoulli-cusum';
 * const rng = new RandomState(12345);
 * const stream = [0.1, 0.2].flatMap((p) => Array.from({ length: 1000 }, () => rng.binomial(1, p)));
 * const chart = new BernoulliCusum({ threshold: 8, holdOff: 1000 });
 * stream.forEach((x, i) => { if (chart.update(x).driftDetected) console.log(i, chart.referenceRate); });
 * // 1051 0.1
 * ```
 *
 * References: E. S. Page, "Continuous inspection schemes", Biometrika 41:100–115, 1954;
 * M. R. Reynolds Jr. and Z. G. Stoumbos, "A CUSUM chart for monitoring a proportion when
 * inspecting continuously", Journal of Quality Technology 31(1):87–108, 1999;
 * G. V. Moustakides, "Optimal stopping times for detecting changes in distributions", Annals of
 * Statistics 14(4):1379–1387, 1986.
 */
import {
  type BinaryDetector,
  type CommonOptions,
  type DetectorSnapshot,
  checkBoolean,
  checkInteger,
  checkKnownParams,
  checkPositive,
  checkSnapshot,
  decodeNumber,
  invalidSetting,
  unitScore,
} from './detector';
import { DetectorBase } from './detector-base';

export interface BernoulliCusumParams extends CommonOptions {
  /** Updates whose mean error rate becomes the reference p₀, kept from then on. Default 500. */
  readonly reference?: number;
  /** Odds of the rate the chart is designed to detect, relative to p₀'s odds (> 1). Default 2. */
  readonly oddsRatio?: number;
  /** Decision interval h on the log-likelihood-ratio sum, in nats. Default 5. */
  readonly threshold?: number;
  /** Updates after a detection during which the chart stays silent before restarting. Default 0. */
  readonly holdOff?: number;
}

const KNOWN = ['reference', 'oddsRatio', 'threshold', 'holdOff'] as const;
const NAME = 'bernoulli-cusum';

export class BernoulliCusum extends DetectorBase implements BinaryDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly binaryInput = true;
  readonly reference: number;
  readonly oddsRatio: number;
  readonly threshold: number;
  readonly holdOff: number;
  readonly skipInvalid: boolean;

  private refCount = 0;
  private refSum = 0;
  /** NaN until the reference is complete. */
  private p0 = Number.NaN;
  /** Log-likelihood-ratio increments for an error (x = 1) and a correct prediction (x = 0). */
  private llrError = 0;
  private llrCorrect = 0;
  private sum = 0;
  private holdLeft = 0;

  constructor(params: BernoulliCusumParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    this.reference = checkInteger(NAME, 'reference', params.reference ?? 500, 1);
    this.oddsRatio = checkPositive(NAME, 'oddsRatio', params.oddsRatio ?? 2);
    if (!(this.oddsRatio > 1)) invalidSetting(NAME, 'oddsRatio', this.oddsRatio, 'a finite number > 1 (the chart detects a rise)');
    this.threshold = checkPositive(NAME, 'threshold', params.threshold ?? 5);
    this.holdOff = checkInteger(NAME, 'holdOff', params.holdOff ?? 0, 0);
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  /** The reference error rate p₀ (NaN until `reference` updates have been seen). */
  get referenceRate(): number {
    return this.p0;
  }

  /**
   * After a verified repair: the sum restarts at 0 against the same reference and no hold-off
   * runs — the error rate is judged afresh, still against the rate the model had when it was good.
   */
  rearm(): void {
    this.sum = 0;
    this.holdLeft = 0;
    this.clearFlags();
  }

  /** After a detection: the sum restarts and the hold-off begins; the reference is kept. */
  protected reset(): void {
    this.sum = 0;
    this.holdLeft = this.holdOff;
    this.clearFlags();
  }

  update(x: number): this {
    if (!(x >= 0 && x <= 1) || typeof x !== 'number') return this.rejectBinaryInput(x);
    if (this.drift) this.reset();

    if (this.refCount < this.reference) {
      this.refCount++;
      this.refSum += x;
      if (this.refCount === this.reference) this.freeze(this.refSum / this.reference);
      return this;
    }
    if (this.holdLeft > 0) {
      this.holdLeft--;
      return this;
    }
    const s = this.sum + x * this.llrError + (1 - x) * this.llrCorrect;
    this.sum = s > 0 ? s : 0;
    this.drift = this.sum > this.threshold;
    this.lastScore = this.drift ? 1 : unitScore(this.sum / this.threshold);
    return this;
  }

  /** Fixes p₀ and the increments of the design rate p₁ (odds × oddsRatio). */
  private freeze(rate: number): void {
    const floor = 0.5 / this.reference;
    const p0 = Math.min(1 - floor, Math.max(floor, rate));
    const odds = (p0 / (1 - p0)) * this.oddsRatio;
    const p1 = odds / (1 + odds);
    this.p0 = p0;
    this.llrError = Math.log(p1 / p0);
    this.llrCorrect = Math.log((1 - p1) / (1 - p0));
  }

  snapshot(): DetectorSnapshot {
    return {
      type: NAME,
      version: BernoulliCusum.VERSION,
      params: { reference: this.reference, oddsRatio: this.oddsRatio, threshold: this.threshold, holdOff: this.holdOff, skipInvalid: this.skipInvalid },
      state: {
        refCount: this.refCount,
        refSum: this.refSum,
        sum: this.sum,
        holdLeft: this.holdLeft,
        ...this.flagState(),
      },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): BernoulliCusum {
    const { params, state } = checkSnapshot(snapshot, NAME, BernoulliCusum.VERSION);
    const d = new BernoulliCusum(params as BernoulliCusumParams);
    d.refCount = decodeNumber(state.refCount, 'state.refCount');
    d.refSum = decodeNumber(state.refSum, 'state.refSum');
    // p₀ and the increments are a pure function of the reference sum: recomputing them is exact.
    if (d.refCount >= d.reference) d.freeze(d.refSum / d.reference);
    d.sum = decodeNumber(state.sum, 'state.sum');
    d.holdLeft = decodeNumber(state.holdLeft, 'state.holdLeft');
    d.restoreFlags(state);
    return d;
  }
}
