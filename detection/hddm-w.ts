/**
 * HDDM_W — drift detection with McDiarmid's bound on exponentially weighted moving averages,
 * for a stream of values in [0, 1] such as a 0/1 error stream (River 0.26
 * `drift.binary.HDDMW`, after MOA).
 *
 * Each sample summary holds an EWMA with weight `λ` (the first value taken as is) and its
 * independent-bound condition `ibc`, starting at 1 and updated as `ibc ← λ² + (1 − λ)²·ibc`.
 * The bound at confidence `c` is `ε(ibc, c) = sqrt(ibc · ln(1/c) / 2)`.
 *
 * The summary `T` of all values since the last reset gives the cut points: whenever
 * `T.ewma + ε(T.ibc, δ_drift)` falls below the lowest value seen so far, `S1⁺ ← T` and a fresh
 * `S2⁺` starts; otherwise the value goes into `S2⁺`. An increase is significant at `c` when
 *
 *     S2⁺.ewma − S1⁺.ewma > ε(S1⁺.ibc + S2⁺.ibc, c)
 *
 * tested at the drift and warning confidences. With `two_sided_test` the mirror image
 * (`T.ewma − ε` above its highest value, `S1⁻.ewma − S2⁻.ewma > ε`) detects decreases. The
 * detector resets on the update after a drift. Score: the EWMA gap over the drift bound,
 * clipped to [0, 1].
 *
 * Example (stream 3 of River's drift tests, two-sided):
 * ```ts
 * import { RandomState } from './random';
 * import { HddmW } from './hddm-w';
 * const rng = new RandomState(12345);
 * const stream = [0, 0.25, 0, 0.25].flatMap((mu) => Array.from({ length: 500 }, () => (rng.normal(mu, 0.1) > 0 ? 1 : 0)));
 * const hddm = new HddmW({ twoSidedTest: true });
 * stream.forEach((x, i) => { if (hddm.update(x).driftDetected) console.log(i); });
 * // 507
 * // 1032
 * // 1508
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
  type SnapshotValue,
  type WarningDetector,
  checkBoolean,
  checkKnownParams,
  checkOpenUnit,
  checkSnapshot,
  decodeBoolean,
  decodeNumber,
  encodeNumber,
  invalidSetting,
  unitScore,
} from './detector';
import { WarningDetectorBase } from './detector-base';

export interface HddmWParams extends CommonOptions {
  /** Confidence δ of the drift test. Default 0.001. */
  readonly driftConfidence?: number;
  /** Confidence of the warning test. Default 0.005. */
  readonly warningConfidence?: number;
  /** EWMA weight λ of recent values, in (0, 1]. Default 0.05. */
  readonly lambdaVal?: number;
  /** Also detect decreases of the mean. Default false. */
  readonly twoSidedTest?: boolean;
}

const KNOWN = ['driftConfidence', 'warningConfidence', 'lambdaVal', 'twoSidedTest'] as const;
const NAME = 'hddm-w';

// Sample summaries live in one Float64Array: [ewma, initialised (0/1), ibc] per summary.
const TOTAL = 0;
const S1_INCR = 3;
const S2_INCR = 6;
const S1_DECR = 9;
const S2_DECR = 12;
const SUMMARY_NAMES = ['total', 's1Incr', 's2Incr', 's1Decr', 's2Decr'] as const;

export class HddmW extends WarningDetectorBase implements WarningDetector, BinaryDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly binaryInput = true;
  readonly driftConfidence: number;
  readonly warningConfidence: number;
  readonly lambdaVal: number;
  readonly twoSidedTest: boolean;
  readonly skipInvalid: boolean;

  private readonly oneMinusLambda: number;
  private readonly lambdaSq: number;
  private readonly oneMinusLambdaSq: number;
  private readonly logInvDrift: number;
  private readonly logInvWarning: number;
  private readonly s = new Float64Array(15);
  private incrCut = Infinity;
  private decrCut = -Infinity;

  constructor(params: HddmWParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    this.driftConfidence = checkOpenUnit(NAME, 'driftConfidence', params.driftConfidence ?? 0.001);
    this.warningConfidence = checkOpenUnit(NAME, 'warningConfidence', params.warningConfidence ?? 0.005);
    const lambda = params.lambdaVal ?? 0.05;
    if (typeof lambda !== 'number' || !(lambda > 0 && lambda <= 1)) invalidSetting(NAME, 'lambdaVal', lambda, 'a number in (0, 1]');
    this.lambdaVal = lambda;
    this.twoSidedTest = checkBoolean(NAME, 'twoSidedTest', params.twoSidedTest ?? false);
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
    this.oneMinusLambda = 1 - lambda;
    this.lambdaSq = lambda * lambda;
    this.oneMinusLambdaSq = (1 - lambda) * (1 - lambda);
    this.logInvDrift = Math.log(1 / this.driftConfidence);
    this.logInvWarning = Math.log(1 / this.warningConfidence);
    this.reset();
  }

  /** Per class, not in the base: read on every update, a getter shared by all eight classes would go megamorphic. */
  get driftDetected(): boolean {
    return this.drift;
  }

  protected reset(): void {
    const s = this.s;
    for (let i = 0; i < 15; i += 3) {
      s[i] = 0;
      s[i + 1] = 0;
      s[i + 2] = 1;
    }
    this.incrCut = Infinity;
    this.decrCut = -Infinity;
    this.clearFlags();
  }

  /** Adds x to the summary at offset o. */
  private add(o: number, x: number): void {
    const s = this.s;
    s[o] = s[o + 1] === 0 ? x : this.lambdaVal * x + this.oneMinusLambda * s[o];
    s[o + 1] = 1;
    s[o + 2] = this.lambdaSq + this.oneMinusLambdaSq * s[o + 2];
  }

  private copyTotal(o: number): void {
    const s = this.s;
    s[o] = s[TOTAL];
    s[o + 1] = s[TOTAL + 1];
    s[o + 2] = s[TOTAL + 2];
  }

  private clear(o: number): void {
    const s = this.s;
    s[o] = 0;
    s[o + 1] = 0;
    s[o + 2] = 1;
  }

  update(x: number): this {
    if (!(x >= 0 && x <= 1) || typeof x !== 'number') return this.rejectBinaryInput(x);
    if (this.drift) this.reset();
    const s = this.s;

    this.add(TOTAL, x);
    const eps = Math.sqrt((s[TOTAL + 2] * this.logInvDrift) / 2);

    // Increase: the cut point follows the lowest upper bound of the total's EWMA.
    const upper = s[TOTAL] + eps;
    if (upper < this.incrCut) {
      this.incrCut = upper;
      this.copyTotal(S1_INCR);
      this.clear(S2_INCR);
    } else {
      this.add(S2_INCR, x);
    }
    let score = 0;
    if (s[S1_INCR + 1] !== 0 && s[S2_INCR + 1] !== 0) {
      const ibc = s[S1_INCR + 2] + s[S2_INCR + 2];
      const gap = s[S2_INCR] - s[S1_INCR];
      const driftBound = Math.sqrt((ibc * this.logInvDrift) / 2);
      if (gap > driftBound) {
        this.warning = false;
        this.drift = true;
      } else {
        this.warning = gap > Math.sqrt((ibc * this.logInvWarning) / 2);
        this.drift = false;
      }
      score = gap / driftBound;
    } else {
      this.warning = false;
      this.drift = false;
    }

    // Decrease: mirror image, cut point at the highest lower bound.
    const lower = s[TOTAL] - eps;
    if (lower > this.decrCut) {
      this.decrCut = lower;
      this.copyTotal(S1_DECR);
      this.clear(S2_DECR);
    } else {
      this.add(S2_DECR, x);
    }
    if (this.twoSidedTest && s[S1_DECR + 1] !== 0 && s[S2_DECR + 1] !== 0) {
      const ibc = s[S2_DECR + 2] + s[S1_DECR + 2];
      const gap = s[S1_DECR] - s[S2_DECR];
      const driftBound = Math.sqrt((ibc * this.logInvDrift) / 2);
      if (gap > driftBound) {
        this.drift = true;
      } else if (gap > Math.sqrt((ibc * this.logInvWarning) / 2)) {
        this.warning = true;
      }
      const sc = gap / driftBound;
      if (sc > score) score = sc;
    }
    this.lastScore = this.drift ? 1 : unitScore(score);
    return this;
  }

  snapshot(): DetectorSnapshot {
    const summaries: { [key: string]: SnapshotValue } = {};
    SUMMARY_NAMES.forEach((key, i) => {
      const o = 3 * i;
      summaries[key] = { ewma: this.s[o], initialised: this.s[o + 1] !== 0, ibc: this.s[o + 2] };
    });
    return {
      type: NAME,
      version: HddmW.VERSION,
      params: {
        driftConfidence: this.driftConfidence,
        warningConfidence: this.warningConfidence,
        lambdaVal: this.lambdaVal,
        twoSidedTest: this.twoSidedTest,
        skipInvalid: this.skipInvalid,
      },
      state: {
        ...summaries,
        incrCut: encodeNumber(this.incrCut),
        decrCut: encodeNumber(this.decrCut),
        ...this.flagState(),
      },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): HddmW {
    const { params, state } = checkSnapshot(snapshot, NAME, HddmW.VERSION);
    const d = new HddmW(params as HddmWParams);
    SUMMARY_NAMES.forEach((key, i) => {
      const raw = state[key];
      const summary = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as { [k: string]: SnapshotValue };
      const o = 3 * i;
      d.s[o] = decodeNumber(summary.ewma, `state.${key}.ewma`);
      d.s[o + 1] = decodeBoolean(summary.initialised, `state.${key}.initialised`) ? 1 : 0;
      d.s[o + 2] = decodeNumber(summary.ibc, `state.${key}.ibc`);
    });
    d.incrCut = decodeNumber(state.incrCut, 'state.incrCut');
    d.decrCut = decodeNumber(state.decrCut, 'state.decrCut');
    d.restoreFlags(state);
    return d;
  }
}
