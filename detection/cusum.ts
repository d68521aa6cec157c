/**
 * Tabular CUSUM control chart for a change in the mean of a real-valued stream — the algorithm
 * of River's `drift.CUSUM` (River's main branch, `river/drift/cusum.py`; River 0.26.1 on PyPI
 * ships no CUSUM class, see bench/river/README.md).
 *
 * The first `min_instances` values form the reference: at update `t = min_instances` the mean
 * `μ` and the sample standard deviation `σ` (Welford, n − 1) are frozen. With slack `k = slack·σ`
 * and decision interval `h = threshold·σ`, from that update on:
 *
 *     S⁺_t = max(0, S⁺_{t−1} + (x_t − μ) − k)
 *     S⁻_t = max(0, S⁻_{t−1} − (x_t − μ) − k)
 *
 * An increase is signalled when `S⁺_t > h`, a decrease when `S⁻_t > h` (`mode` picks which
 * count). The detector resets on the update after a detection, re-estimating the reference.
 * Score: the active sum divided by `h`, clipped to [0, 1].
 *
 * At the classical `slack = 0.5, threshold = 5` the mean run length between false alarms is a
 * few hundred samples (and shorter when the reference comes from a short warm-up), so a long
 * stable stream will alarm now and then; a longer warm-up or a larger threshold trades delay
 * for fewer false alarms.
 *
 * Example (a stable stream that shifts up by 3σ at index 200; a 100-value warm-up):
 * ```ts
 * import { RandomState } from './random';
 * import { Cusum } from './cusum';
 * const rng = new RandomState(12345);
 * const cusum = new Cusum({ minInstances: 100 });
 * for (let i = 0; i < 400; i++) if (cusum.update(rng.normal(i < 200 ? 0 : 3, 1)).driftDetected) console.log(i);
 * // 201
 * ```
 *
 * Reference: E. S. Page, "Continuous inspection schemes", Biometrika 41(1/2):100–115, 1954;
 * D. C. Montgomery, "Introduction to Statistical Quality Control", ch. 9 (tabular CUSUM).
 */
import {
  type CommonOptions,
  type DetectorSnapshot,
  type Mode,
  type StreamingDetector,
  checkBoolean,
  checkInteger,
  checkKnownParams,
  checkMode,
  checkNonNegative,
  checkPositive,
  checkSnapshot,
  decodeBoolean,
  decodeNumber,
  unitScore,
} from './detector';
import { DetectorBase } from './detector-base';

export interface CusumParams extends CommonOptions {
  /** Warm-up length over which the reference mean and deviation are estimated. Default 30. */
  readonly minInstances?: number;
  /** Slack k in units of the reference standard deviation. Default 0.5. */
  readonly slack?: number;
  /** Decision interval h in units of the reference standard deviation. Default 5. */
  readonly threshold?: number;
  /** Which change to detect: "up", "down" or "both". Default "both". */
  readonly mode?: Mode;
}

const KNOWN = ['minInstances', 'slack', 'threshold', 'mode'] as const;
const NAME = 'cusum';

export class Cusum extends DetectorBase implements StreamingDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly minInstances: number;
  readonly slack: number;
  readonly threshold: number;
  readonly mode: Mode;
  readonly skipInvalid: boolean;

  private readonly testUp: boolean;
  private readonly testDown: boolean;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private sumIncrease = 0;
  private sumDecrease = 0;
  private frozen = false;
  private reference = 0;
  private sigma = 0;

  constructor(params: CusumParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    this.minInstances = checkInteger(NAME, 'minInstances', params.minInstances ?? 30, 1);
    this.slack = checkNonNegative(NAME, 'slack', params.slack ?? 0.5);
    this.threshold = checkPositive(NAME, 'threshold', params.threshold ?? 5);
    this.mode = checkMode(NAME, params.mode ?? 'both');
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
    this.testUp = this.mode !== 'down';
    this.testDown = this.mode !== 'up';
  }

  /** Per class, not in the base: read on every update, a getter shared by all eight classes would go megamorphic. */
  get driftDetected(): boolean {
    return this.drift;
  }

  protected reset(): void {
    this.n = 0;
    this.mean = 0;
    this.m2 = 0;
    this.sumIncrease = 0;
    this.sumDecrease = 0;
    this.frozen = false;
    this.reference = 0;
    this.sigma = 0;
    this.clearFlags();
  }

  update(x: number): this {
    if (typeof x !== 'number' || x - x !== 0) return this.rejectInput(x);
    if (this.drift) this.reset();

    this.n += 1;
    const before = this.mean;
    this.mean += (1 / this.n) * (x - before);
    this.m2 += (x - before) * (x - this.mean);
    if (this.n < this.minInstances) return this;

    if (!this.frozen) {
      this.frozen = true;
      this.reference = this.mean;
      const variance = this.n > 1 ? this.m2 / (this.n - 1) : 0;
      this.sigma = Math.sqrt(variance > 0 ? variance : 0);
    }
    const k = this.slack * this.sigma;
    const limit = this.threshold * this.sigma;
    const deviation = x - this.reference;
    const inc = this.sumIncrease + deviation - k;
    const dec = this.sumDecrease - deviation - k;
    this.sumIncrease = inc > 0 ? inc : 0;
    this.sumDecrease = dec > 0 ? dec : 0;

    const up = this.testUp ? this.sumIncrease : 0;
    const down = this.testDown ? this.sumDecrease : 0;
    this.drift = up > limit || down > limit;
    const stat = up > down ? up : down;
    this.lastScore = this.drift ? 1 : limit > 0 ? unitScore(stat / limit) : 0;
    return this;
  }

  snapshot(): DetectorSnapshot {
    return {
      type: NAME,
      version: Cusum.VERSION,
      params: { minInstances: this.minInstances, slack: this.slack, threshold: this.threshold, mode: this.mode, skipInvalid: this.skipInvalid },
      state: {
        n: this.n,
        mean: this.mean,
        m2: this.m2,
        sumIncrease: this.sumIncrease,
        sumDecrease: this.sumDecrease,
        frozen: this.frozen,
        reference: this.reference,
        sigma: this.sigma,
        ...this.flagState(),
      },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): Cusum {
    const { params, state } = checkSnapshot(snapshot, NAME, Cusum.VERSION);
    const d = new Cusum(params as CusumParams);
    d.n = decodeNumber(state.n, 'state.n');
    d.mean = decodeNumber(state.mean, 'state.mean');
    d.m2 = decodeNumber(state.m2, 'state.m2');
    d.sumIncrease = decodeNumber(state.sumIncrease, 'state.sumIncrease');
    d.sumDecrease = decodeNumber(state.sumDecrease, 'state.sumDecrease');
    d.frozen = decodeBoolean(state.frozen, 'state.frozen');
    d.reference = decodeNumber(state.reference, 'state.reference');
    d.sigma = decodeNumber(state.sigma, 'state.sigma');
    d.restoreFlags(state);
    return d;
  }
}
