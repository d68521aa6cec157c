/**
 * FHDDM — Fast Hoeffding Drift Detection Method (River 0.26.1 `drift.binary.FHDDM`), with the
 * stacking variant's short window (FHDDMS) when `short_window_size` is set.
 *
 * Over the last `sliding_window_size` bits, the mean u is compared with the largest mean seen
 * since the last reset, u_max; a drift is signalled when u_max − u > ε, ε = sqrt(ln(1/δ) / (2n))
 * (Hoeffding's bound, δ = `confidence_level`, n the window size). With a short window of m bits the
 * same test runs on the mean of the last m bits, with its own maximum and ε. The detector resets on
 * the update after a drift.
 *
 * Direction, exactly as River 0.26.1 computes it: the test fires when the mean of the input
 * FALLS below its running maximum. MOA's FHDDM, which River follows, feeds it 1 for a correct
 * prediction, so a falling mean is a rising error rate; River's documentation speaks of 1 = error,
 * but its arithmetic is MOA's. To watch a 0/1 error stream for more errors, feed 1 − error (the
 * drift suite does).
 *
 * Example (River's parity stream "bern-multi": 1500 draws each of Bernoulli(0.1, 0.4, 0.1, 0.5),
 * numpy seed 31; the mean falls at 3000, and River 0.26.1's `FHDDM()` fires at the same index):
 * ```ts
 * import { RandomState } from './random';
 * import { Fhddm } from './fhddm';
 * const rng = new RandomState(31);
 * const stream = [0.1, 0.4, 0.1, 0.5].flatMap((p) => Array.from({ length: 1500 }, () => rng.binomial(1, p)));
 * const fhddm = new Fhddm();
 * stream.forEach((x, i) => { if (fhddm.update(x).driftDetected) console.log(i); });
 * // 3062
 * ```
 *
 * Score: (u_max − u) / ε of the long window (the larger of both windows' ratios with a short
 * window), clipped to [0, 1), 1 on a drift.
 *
 * Reference: A. Pesaranghader and H. L. Viktor, "Fast Hoeffding Drift Detection Method for
 * Evolving Data Streams", ECML-PKDD 2016, LNCS 9852, pp. 96–111.
 */
import { HomeostatError } from '../common/errors';
import {
  type BinaryDetector,
  type CommonOptions,
  type DetectorSnapshot,
  checkBoolean,
  checkInteger,
  checkKnownParams,
  checkOpenUnit,
  checkSnapshot,
  decodeNumber,
  decodeNumberArray,
  invalidSetting,
  unitScore,
} from './detector';
import { DetectorBase } from './detector-base';

export interface FhddmParams extends CommonOptions {
  /** Bits in the long window (River `sliding_window_size`). Default 100. */
  readonly slidingWindowSize?: number;
  /** δ of Hoeffding's bound, in (0, 1) (River `confidence_level`). Default 1e-6. */
  readonly confidenceLevel?: number;
  /** Bits in the short window of the stacking variant; omit for plain FHDDM. */
  readonly shortWindowSize?: number;
}

const KNOWN = ['slidingWindowSize', 'confidenceLevel', 'shortWindowSize'] as const;
const NAME = 'fhddm';

export class Fhddm extends DetectorBase implements BinaryDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly binaryInput = true;
  readonly slidingWindowSize: number;
  readonly confidenceLevel: number;
  readonly shortWindowSize: number | undefined;
  readonly skipInvalid: boolean;

  private readonly ring: Float64Array;
  private head = 0;
  private count = 0;
  private nOne = 0;
  private uMax = 0;
  private uShortMax = 0;
  private readonly epsilon: number;
  private readonly epsilonShort: number;

  constructor(params: FhddmParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    this.slidingWindowSize = checkInteger(NAME, 'slidingWindowSize', params.slidingWindowSize ?? 100, 1);
    this.confidenceLevel = checkOpenUnit(NAME, 'confidenceLevel', params.confidenceLevel ?? 0.000001);
    if (params.shortWindowSize !== undefined) {
      const m = checkInteger(NAME, 'shortWindowSize', params.shortWindowSize, 1);
      if (m > this.slidingWindowSize) invalidSetting(NAME, 'shortWindowSize', m, `an integer ≤ slidingWindowSize (${this.slidingWindowSize})`);
      this.shortWindowSize = m;
    }
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
    this.ring = new Float64Array(this.slidingWindowSize);
    this.epsilon = Math.sqrt(Math.log(1 / this.confidenceLevel) / (2 * this.slidingWindowSize));
    this.epsilonShort = this.shortWindowSize === undefined ? 0 : Math.sqrt(Math.log(1 / this.confidenceLevel) / (2 * this.shortWindowSize));
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  protected reset(): void {
    this.head = 0;
    this.count = 0;
    this.nOne = 0;
    this.uMax = 0;
    this.uShortMax = 0;
    this.clearFlags();
  }

  update(x: number): this {
    if (!(x >= 0 && x <= 1) || typeof x !== 'number') return this.rejectBinaryInput(x);
    if (this.drift) this.reset();
    const n = this.slidingWindowSize;
    this.ring[(this.head + this.count) % n] = x;
    this.count++;
    this.nOne += x;
    if (this.count < n) return this;
    const u = this.nOne / n;
    if (this.uMax < u) this.uMax = u;
    let ratio = (this.uMax - u) / this.epsilon;
    let shortDrift = false;
    const m = this.shortWindowSize;
    if (m !== undefined) {
      let sum = 0;
      for (let i = n - m; i < n; i++) sum += this.ring[(this.head + i) % n];
      const us = sum / m;
      if (this.uShortMax < us) this.uShortMax = us;
      shortDrift = this.uShortMax - us > this.epsilonShort;
      const r = (this.uShortMax - us) / this.epsilonShort;
      if (r > ratio) ratio = r;
    }
    const longDrift = this.uMax - u > this.epsilon;
    this.drift = longDrift || shortDrift;
    this.lastScore = this.drift ? 1 : Math.min(0.999, unitScore(ratio));
    // River pops the oldest bit once the window is full: the next update fills it again.
    this.nOne -= this.ring[this.head];
    this.head = (this.head + 1) % n;
    this.count--;
    return this;
  }

  snapshot(): DetectorSnapshot {
    const bits: number[] = [];
    for (let i = 0; i < this.count; i++) bits.push(this.ring[(this.head + i) % this.slidingWindowSize]);
    return {
      type: NAME,
      version: Fhddm.VERSION,
      params: {
        slidingWindowSize: this.slidingWindowSize,
        confidenceLevel: this.confidenceLevel,
        ...(this.shortWindowSize === undefined ? {} : { shortWindowSize: this.shortWindowSize }),
        skipInvalid: this.skipInvalid,
      },
      state: { window: bits, nOne: this.nOne, uMax: this.uMax, uShortMax: this.uShortMax, ...this.flagState() },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): Fhddm {
    const { params, state } = checkSnapshot(snapshot, NAME, Fhddm.VERSION);
    const d = new Fhddm(params as FhddmParams);
    const bits = decodeNumberArray(state.window, 'state.window');
    if (bits.length >= d.slidingWindowSize) throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `fhddm: snapshot window holds ${bits.length} bits, at most ${d.slidingWindowSize - 1} fit`);
    d.ring.set(bits);
    d.count = bits.length;
    d.nOne = decodeNumber(state.nOne, 'state.nOne');
    d.uMax = decodeNumber(state.uMax, 'state.uMax');
    d.uShortMax = decodeNumber(state.uShortMax, 'state.uShortMax');
    d.restoreFlags(state);
    return d;
  }
}
