/**
 * DDM — Drift Detection Method for a 0/1 error stream (River 0.26 `drift.binary.DDM`).
 *
 * The error rate `p_t` (running mean of the inputs since the last reset) and its binomial
 * standard deviation `s_t = sqrt(p_t·(1 − p_t)/t)` are tracked. Once `t > warm_start`, the pair
 * `(p_min, s_min)` is the one at which `p_t + s_t` was smallest (ties take the later one), and
 *
 *     warning  when  p_t + s_t > p_min + warning_threshold · s_min
 *     drift    when  p_t + s_t > p_min + drift_threshold   · s_min   (clears the warning)
 *
 * The detector resets on the update after a drift. Score:
 * `(p_t + s_t − p_min) / (drift_threshold · s_min)`, clipped to [0, 1].
 *
 * Example (stream 2 of River's drift tests: 1000 × binomial(1, 0.2) then 1000 × binomial(1, 0.8)):
 * ```ts
 * import { RandomState } from './random';
 * import { Ddm } from './ddm';
 * const rng = new RandomState(12345);
 * const stream = [0.2, 0.8].flatMap((p) => Array.from({ length: 1000 }, () => rng.binomial(1, p)));
 * const ddm = new Ddm();
 * stream.forEach((x, i) => { if (ddm.update(x).driftDetected) console.log(i); });
 * // 1049
 * ```
 *
 * Reference: J. Gama, P. Medas, G. Castillo and P. Rodrigues, "Learning with drift detection",
 * SBIA 2004, LNCS 3171, pp. 286–295.
 */
import {
  type BinaryDetector,
  type CommonOptions,
  type DetectorSnapshot,
  type WarningDetector,
  checkBoolean,
  checkInteger,
  checkKnownParams,
  checkNonNegative,
  checkSnapshot,
  decodeNumber,
  encodeNumber,
  unitScore,
} from './detector';
import { WarningDetectorBase } from './detector-base';

export interface DdmParams extends CommonOptions {
  /** Updates required before detection starts (River `warm_start`). Default 30. */
  readonly warmStart?: number;
  /** Warning level, in standard deviations. Default 2. */
  readonly warningThreshold?: number;
  /** Drift level, in standard deviations. Default 3. */
  readonly driftThreshold?: number;
}

const KNOWN = ['warmStart', 'warningThreshold', 'driftThreshold'] as const;
const NAME = 'ddm';

export class Ddm extends WarningDetectorBase implements WarningDetector, BinaryDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly binaryInput = true;
  readonly warmStart: number;
  readonly warningThreshold: number;
  readonly driftThreshold: number;
  readonly skipInvalid: boolean;

  private n = 0;
  private p = 0;
  private pMin = 0;
  private sMin = 0;
  private psMin = Infinity;

  constructor(params: DdmParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    this.warmStart = checkInteger(NAME, 'warmStart', params.warmStart ?? 30, 0);
    this.warningThreshold = checkNonNegative(NAME, 'warningThreshold', params.warningThreshold ?? 2);
    this.driftThreshold = checkNonNegative(NAME, 'driftThreshold', params.driftThreshold ?? 3);
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
  }

  /** Per class, not in the base: read on every update, a getter shared by all eight classes would go megamorphic. */
  get driftDetected(): boolean {
    return this.drift;
  }

  protected reset(): void {
    this.n = 0;
    this.p = 0;
    this.pMin = 0;
    this.sMin = 0;
    this.psMin = Infinity;
    this.clearFlags();
  }

  update(x: number): this {
    if (!(x >= 0 && x <= 1) || typeof x !== 'number') return this.rejectBinaryInput(x);
    if (this.drift) this.reset();

    const n = ++this.n;
    const p = (this.p += (1 / n) * (x - this.p));
    const s = Math.sqrt((p * (1 - p)) / n);
    if (n > this.warmStart) {
      const ps = p + s;
      if (ps <= this.psMin) {
        this.pMin = p;
        this.sMin = s;
        this.psMin = p + s;
      }
      this.warning = ps > this.pMin + this.warningThreshold * this.sMin;
      const level = this.pMin + this.driftThreshold * this.sMin;
      if (ps > level) {
        this.drift = true;
        this.warning = false;
        this.lastScore = 1;
      } else {
        const span = this.driftThreshold * this.sMin;
        this.lastScore = span > 0 ? unitScore((ps - this.pMin) / span) : 0;
      }
    }
    return this;
  }

  snapshot(): DetectorSnapshot {
    return {
      type: NAME,
      version: Ddm.VERSION,
      params: {
        warmStart: this.warmStart,
        warningThreshold: this.warningThreshold,
        driftThreshold: this.driftThreshold,
        skipInvalid: this.skipInvalid,
      },
      state: {
        n: this.n,
        p: this.p,
        pMin: this.pMin,
        sMin: this.sMin,
        psMin: encodeNumber(this.psMin),
        ...this.flagState(),
      },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): Ddm {
    const { params, state } = checkSnapshot(snapshot, NAME, Ddm.VERSION);
    const d = new Ddm(params as DdmParams);
    d.n = decodeNumber(state.n, 'state.n');
    d.p = decodeNumber(state.p, 'state.p');
    d.pMin = decodeNumber(state.pMin, 'state.pMin');
    d.sMin = decodeNumber(state.sMin, 'state.sMin');
    d.psMin = decodeNumber(state.psMin, 'state.psMin');
    d.restoreFlags(state);
    return d;
  }
}
