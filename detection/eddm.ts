/**
 * EDDM — Early Drift Detection Method for a 0/1 error stream (River 0.26 `drift.binary.EDDM`).
 *
 * Instead of the error rate, EDDM watches the distance (in updates) between consecutive errors
 * (an input equal to 1). Its running mean `p'` and sample standard deviation `s'` (Welford,
 * n − 1) are updated at every error; `max` is the largest `p' + 2s'` seen so far. Once more than
 * `warm_start` updates have been seen, at an error whose `p' + 2s'` does not set a new maximum,
 * and once more than `warm_start` errors have been counted,
 *
 *     level = (p' + 2s') / max      drift when level < β;  else warning when level < α,
 *                                   else the warning is cleared
 *
 * The detector resets on the update after a drift. Score: `(1 − level)/(1 − β)` at the last
 * error, clipped to [0, 1].
 *
 * Example (stream 2 of River's drift tests, α = 0.9, β = 0.8):
 * ```ts
 * import { RandomState } from './random';
 * import { Eddm } from './eddm';
 * const rng = new RandomState(12345);
 * const stream = [0.2, 0.8].flatMap((p) => Array.from({ length: 1000 }, () => rng.binomial(1, p)));
 * const eddm = new Eddm({ alpha: 0.9, beta: 0.8 });
 * stream.forEach((x, i) => { if (eddm.update(x).driftDetected) console.log(i); });
 * // 1059
 * ```
 *
 * Reference: M. Baena-García, J. del Campo-Ávila, R. Fidalgo, A. Bifet, R. Gavaldà and
 * R. Morales-Bueno, "Early drift detection method", 4th International Workshop on Knowledge
 * Discovery from Data Streams (ECML PKDD), 2006.
 */
import {
  type BinaryDetector,
  type CommonOptions,
  type DetectorSnapshot,
  type WarningDetector,
  checkBoolean,
  checkInteger,
  checkKnownParams,
  checkSnapshot,
  decodeNumber,
  invalidSetting,
  unitScore,
} from './detector';
import { WarningDetectorBase } from './detector-base';

export interface EddmParams extends CommonOptions {
  /** Updates and errors required before detection starts (River `warm_start`). Default 30. */
  readonly warmStart?: number;
  /** Warning level α in (0, 1], ≥ β. Default 0.95. */
  readonly alpha?: number;
  /** Drift level β in (0, 1], ≤ α. Default 0.9. */
  readonly beta?: number;
}

const KNOWN = ['warmStart', 'alpha', 'beta'] as const;
const NAME = 'eddm';

function checkLevel(param: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) invalidSetting(NAME, param, value, 'a number in (0, 1]');
  return value;
}

export class Eddm extends WarningDetectorBase implements WarningDetector, BinaryDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly binaryInput = true;
  readonly warmStart: number;
  readonly alpha: number;
  readonly beta: number;
  readonly skipInvalid: boolean;

  private n = 0;
  private lastError = 0;
  private nErrors = 0;
  private distMean = 0;
  private distM2 = 0;
  private p2sMax = -1;

  constructor(params: EddmParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    this.warmStart = checkInteger(NAME, 'warmStart', params.warmStart ?? 30, 0);
    this.alpha = checkLevel('alpha', params.alpha ?? 0.95);
    this.beta = checkLevel('beta', params.beta ?? 0.9);
    if (this.alpha < this.beta) invalidSetting(NAME, 'alpha', this.alpha, `a number ≥ beta (${this.beta})`);
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
  }

  /** Per class, not in the base: read on every update, a getter shared by all eight classes would go megamorphic. */
  get driftDetected(): boolean {
    return this.drift;
  }

  protected reset(): void {
    this.n = 0;
    this.lastError = 0;
    this.nErrors = 0;
    this.distMean = 0;
    this.distM2 = 0;
    this.p2sMax = -1;
    this.clearFlags();
  }

  update(x: number): this {
    if (!(x >= 0 && x <= 1) || typeof x !== 'number') return this.rejectBinaryInput(x);
    if (this.drift) this.reset();

    const n = ++this.n;
    if (x !== 1) return this;

    const k = ++this.nErrors;
    const distance = n - this.lastError;
    const before = this.distMean;
    this.distMean += (1 / k) * (distance - before);
    this.distM2 += (distance - before) * (distance - this.distMean);
    if (n > this.warmStart) {
      const variance = k > 1 ? this.distM2 / (k - 1) : 0;
      const p2s = this.distMean + 2 * Math.sqrt(variance);
      if (p2s > this.p2sMax) {
        this.p2sMax = p2s;
        this.lastScore = 0;
      } else if (k > this.warmStart) {
        const level = p2s / this.p2sMax;
        if (level < this.beta) {
          this.drift = true;
          this.lastScore = 1;
        } else {
          this.warning = level < this.alpha;
          this.lastScore = this.beta < 1 ? unitScore((1 - level) / (1 - this.beta)) : 0;
        }
      }
    }
    this.lastError = n;
    return this;
  }

  snapshot(): DetectorSnapshot {
    return {
      type: NAME,
      version: Eddm.VERSION,
      params: { warmStart: this.warmStart, alpha: this.alpha, beta: this.beta, skipInvalid: this.skipInvalid },
      state: {
        n: this.n,
        lastError: this.lastError,
        nErrors: this.nErrors,
        distMean: this.distMean,
        distM2: this.distM2,
        p2sMax: this.p2sMax,
        ...this.flagState(),
      },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): Eddm {
    const { params, state } = checkSnapshot(snapshot, NAME, Eddm.VERSION);
    const d = new Eddm(params as EddmParams);
    d.n = decodeNumber(state.n, 'state.n');
    d.lastError = decodeNumber(state.lastError, 'state.lastError');
    d.nErrors = decodeNumber(state.nErrors, 'state.nErrors');
    d.distMean = decodeNumber(state.distMean, 'state.distMean');
    d.distM2 = decodeNumber(state.distM2, 'state.distM2');
    d.p2sMax = decodeNumber(state.p2sMax, 'state.p2sMax');
    d.restoreFlags(state);
    return d;
  }
}
