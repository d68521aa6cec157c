/**
 * HDDM_A — drift detection with Hoeffding's bound on moving averages, for a stream of values in
 * [0, 1] such as a 0/1 error stream (River 0.26 `drift.binary.HDDMA`, after MOA).
 *
 * `Z` is the mean of all `n` values since the last reset. A cut point `X` (the value of `Z` at an
 * earlier time, with its count `n_X`) is moved to the present whenever
 * `X̄ + ε(n_X) ≥ Z̄ + ε(n)`, with `ε(k) = sqrt(ln(1/δ_drift) / (2k))`; a second cut point
 * `Y` tracks the maximum the same way. With `m = (n − n_X)/(n_X·n)`, an increase in the mean is
 *
 *     significant at confidence c  when  Z̄ − X̄ ≥ sqrt(m/2 · ln(2/c))
 *
 * tested at `c = drift_confidence` (drift) and `c = warning_confidence` (warning). With
 * `two_sided_test` a decrease `Ȳ − Z̄` is tested the same way. The detector resets on the update
 * after a drift. Score: `(Z̄ − X̄)` (and `Ȳ − Z̄` when two-sided) over the drift bound, clipped
 * to [0, 1].
 *
 * Example (stream 3 of River's drift tests, two-sided):
 * ```ts
 * import { RandomState } from './random';
 * import { HddmA } from './hddm-a';
 * const rng = new RandomState(12345);
 * const stream = [0, 0.25, 0, 0.25].flatMap((mu) => Array.from({ length: 500 }, () => (rng.normal(mu, 0.1) > 0 ? 1 : 0)));
 * const hddm = new HddmA({ twoSidedTest: true });
 * stream.forEach((x, i) => { if (hddm.update(x).driftDetected) console.log(i); });
 * // 531
 * // 1015
 * // 1545
 * ```
 *
 * References: I. Frías-Blanco, J. del Campo-Ávila, G. Ramos-Jiménez, R. Morales-Bueno,
 * A. Ortiz-Díaz and Y. Caballero-Mota, "Online and non-parametric drift detection methods based
 * on Hoeffding's bounds", IEEE TKDE 27(3):810–823, 2015; A. Bifet, G. Holmes, R. Kirkby and
 * B. Pfahringer, "MOA: Massive Online Analysis", JMLR 11:1601–1604, 2010.
 */
import {
  type BinaryDetector,
  type CommonOptions,
  type DetectorSnapshot,
  type WarningDetector,
  checkBoolean,
  checkKnownParams,
  checkOpenUnit,
  checkSnapshot,
  decodeNumber,
  unitScore,
} from './detector';
import { WarningDetectorBase } from './detector-base';

export interface HddmAParams extends CommonOptions {
  /** Confidence δ of the drift test. Default 0.001. */
  readonly driftConfidence?: number;
  /** Confidence of the warning test. Default 0.005. */
  readonly warningConfidence?: number;
  /** Also detect decreases of the mean. Default false. */
  readonly twoSidedTest?: boolean;
}

const KNOWN = ['driftConfidence', 'warningConfidence', 'twoSidedTest'] as const;
const NAME = 'hddm-a';

export class HddmA extends WarningDetectorBase implements WarningDetector, BinaryDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly binaryInput = true;
  readonly driftConfidence: number;
  readonly warningConfidence: number;
  readonly twoSidedTest: boolean;
  readonly skipInvalid: boolean;

  private readonly logInvDrift: number;
  private readonly log2Drift: number;
  private readonly log2Warning: number;
  private zN = 0;
  private zMean = 0;
  private minN = 0;
  private minMean = 0;
  private maxN = 0;
  private maxMean = 0;

  constructor(params: HddmAParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    this.driftConfidence = checkOpenUnit(NAME, 'driftConfidence', params.driftConfidence ?? 0.001);
    this.warningConfidence = checkOpenUnit(NAME, 'warningConfidence', params.warningConfidence ?? 0.005);
    this.twoSidedTest = checkBoolean(NAME, 'twoSidedTest', params.twoSidedTest ?? false);
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
    this.logInvDrift = Math.log(1.0 / this.driftConfidence);
    this.log2Drift = Math.log(2.0 / this.driftConfidence);
    this.log2Warning = Math.log(2.0 / this.warningConfidence);
  }

  /** Per class, not in the base: read on every update, a getter shared by all eight classes would go megamorphic. */
  get driftDetected(): boolean {
    return this.drift;
  }

  protected reset(): void {
    this.zN = 0;
    this.zMean = 0;
    this.minN = 0;
    this.minMean = 0;
    this.maxN = 0;
    this.maxMean = 0;
    this.clearFlags();
  }

  update(x: number): this {
    if (!(x >= 0 && x <= 1) || typeof x !== 'number') return this.rejectBinaryInput(x);
    if (this.drift) this.reset();

    const n = ++this.zN;
    const z = (this.zMean += (1 / n) * (x - this.zMean));
    if (this.minN === 0) {
      this.minN = n;
      this.minMean = z;
    }
    if (this.maxN === 0) {
      this.maxN = n;
      this.maxMean = z;
    }

    // Hoeffding bounds ε(k) = sqrt(1/(2k) · ln(1/δ)), evaluated in the reference's order.
    const epsZ = Math.sqrt((1.0 / (2 * n)) * this.logInvDrift);
    let epsX = Math.sqrt((1.0 / (2 * this.minN)) * this.logInvDrift);
    if (this.minMean + epsX >= z + epsZ) {
      this.minN = n;
      this.minMean = z;
    }
    epsX = Math.sqrt((1.0 / (2 * this.maxN)) * this.logInvDrift);
    if (this.maxMean - epsX <= z - epsZ) {
      this.maxN = n;
      this.maxMean = z;
    }

    let score = 0;
    if (this.minN !== n) {
      const m = ((n - this.minN) / this.minN) * (1.0 / n);
      const rise = z - this.minMean;
      const driftBound = Math.sqrt((m / 2) * this.log2Drift);
      if (rise >= driftBound) {
        this.warning = false;
        this.drift = true;
      } else {
        this.warning = rise >= Math.sqrt((m / 2) * this.log2Warning);
        this.drift = false;
      }
      score = rise / driftBound;
    } else {
      this.warning = false;
      this.drift = false;
    }

    if (this.twoSidedTest && this.maxN !== n) {
      const m = ((n - this.maxN) / this.maxN) * (1.0 / n);
      const fall = this.maxMean - z;
      const driftBound = Math.sqrt((m / 2) * this.log2Drift);
      if (fall >= driftBound) {
        this.drift = true;
      } else if (fall >= Math.sqrt((m / 2) * this.log2Warning)) {
        this.warning = true;
      }
      const s = fall / driftBound;
      if (s > score) score = s;
    }
    this.lastScore = this.drift ? 1 : unitScore(score);
    return this;
  }

  snapshot(): DetectorSnapshot {
    return {
      type: NAME,
      version: HddmA.VERSION,
      params: {
        driftConfidence: this.driftConfidence,
        warningConfidence: this.warningConfidence,
        twoSidedTest: this.twoSidedTest,
        skipInvalid: this.skipInvalid,
      },
      state: {
        zN: this.zN,
        zMean: this.zMean,
        minN: this.minN,
        minMean: this.minMean,
        maxN: this.maxN,
        maxMean: this.maxMean,
        ...this.flagState(),
      },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): HddmA {
    const { params, state } = checkSnapshot(snapshot, NAME, HddmA.VERSION);
    const d = new HddmA(params as HddmAParams);
    d.zN = decodeNumber(state.zN, 'state.zN');
    d.zMean = decodeNumber(state.zMean, 'state.zMean');
    d.minN = decodeNumber(state.minN, 'state.minN');
    d.minMean = decodeNumber(state.minMean, 'state.minMean');
    d.maxN = decodeNumber(state.maxN, 'state.maxN');
    d.maxMean = decodeNumber(state.maxMean, 'state.maxMean');
    d.restoreFlags(state);
    return d;
  }
}
