/**
 * Page–Hinkley test for a change in the mean of a real-valued stream (River 0.26 semantics).
 *
 * With the running mean `x̄_t` of all values since the last reset, two fading cumulative sums of
 * the deviations are kept, each offset by the tolerance `δ`:
 *
 *     U_t = α·U_{t−1} + (x_t − x̄_t) − δ        m_t = min(m_{t−1}, U_t)      (m_0 = +∞)
 *     L_t = α·L_{t−1} + (x_t − x̄_t) + δ        M_t = max(M_{t−1}, L_t)      (M_0 = −1)
 *
 * Once `t ≥ min_instances`, an increase is signalled when `U_t − m_t > λ` and a decrease when
 * `M_t − L_t > λ` (`λ` = `threshold`); `mode` picks which of the two tests count. The detector
 * resets on the update after a detection. Score: the active test statistic divided by `λ`,
 * clipped to [0, 1].
 *
 * Example (stream 3 of River's drift tests: four blocks of 500 values `normal(μ, 0.1) > 0`,
 * μ = 0, 0.25, 0, 0.25):
 * ```ts
 * import { RandomState } from './random';
 * import { PageHinkley } from './page-hinkley';
 * const rng = new RandomState(12345);
 * const stream = [0, 0.25, 0, 0.25].flatMap((mu) => Array.from({ length: 500 }, () => (rng.normal(mu, 0.1) > 0 ? 1 : 0)));
 * const ph = new PageHinkley({ mode: 'up' });
 * stream.forEach((x, i) => { if (ph.update(x).driftDetected) console.log(i); });
 * // 588
 * // 1681
 * ```
 *
 * References: E. S. Page, "Continuous inspection schemes", Biometrika 41(1/2):100–115, 1954;
 * R. Sebastião and J. M. Fernandes, "Supporting the Page-Hinkley test with empirical mode
 * decomposition for change detection", ISMIS 2017, pp. 492–498.
 */
import {
  type CommonOptions,
  type DetectorSnapshot,
  type StreamingDetector,
  type Mode,
  checkBoolean,
  checkKnownParams,
  checkMode,
  checkNonNegative,
  checkSnapshot,
  decodeNumber,
  encodeNumber,
  invalidSetting,
  unitScore,
} from './detector';
import { DetectorBase } from './detector-base';

export interface PageHinkleyParams extends CommonOptions {
  /** Updates needed before the test runs (River `min_instances`). Default 30. */
  readonly minInstances?: number;
  /** Tolerance δ subtracted from / added to every deviation. Default 0.005. */
  readonly delta?: number;
  /** Detection threshold λ. Default 50. */
  readonly threshold?: number;
  /** Forgetting factor α of the cumulative sums, in (0, 1]. Default 0.9999. */
  readonly alpha?: number;
  /** Which change to detect: "up", "down" or "both". Default "both". */
  readonly mode?: Mode;
}

const KNOWN = ['minInstances', 'delta', 'threshold', 'alpha', 'mode'] as const;
const NAME = 'page-hinkley';

export class PageHinkley extends DetectorBase implements StreamingDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly minInstances: number;
  readonly delta: number;
  readonly threshold: number;
  readonly alpha: number;
  readonly mode: Mode;
  readonly skipInvalid: boolean;

  private readonly testUp: boolean;
  private readonly testDown: boolean;
  private n = 0;
  private mean = 0;
  private sumIncrease = 0;
  private sumDecrease = 0;
  private minIncrease = Infinity;
  private maxDecrease = -1;

  constructor(params: PageHinkleyParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    this.minInstances = checkNonNegative(NAME, 'minInstances', params.minInstances ?? 30);
    this.delta = checkNonNegative(NAME, 'delta', params.delta ?? 0.005);
    this.threshold = checkNonNegative(NAME, 'threshold', params.threshold ?? 50);
    const alpha = params.alpha ?? 1 - 0.0001;
    if (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 1)) invalidSetting(NAME, 'alpha', alpha, 'a number in (0, 1]');
    this.alpha = alpha;
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
    this.sumIncrease = 0;
    this.sumDecrease = 0;
    this.minIncrease = Infinity;
    this.maxDecrease = -1;
    this.clearFlags();
  }

  update(x: number): this {
    if (typeof x !== 'number' || x - x !== 0) return this.rejectInput(x);
    if (this.drift) this.reset();

    this.n += 1;
    this.mean += (1 / this.n) * (x - this.mean);
    const dev = x - this.mean;

    this.sumIncrease = this.alpha * this.sumIncrease + dev - this.delta;
    this.sumDecrease = this.alpha * this.sumDecrease + dev + this.delta;
    if (this.sumIncrease < this.minIncrease) this.minIncrease = this.sumIncrease;
    if (this.sumDecrease > this.maxDecrease) this.maxDecrease = this.sumDecrease;

    if (this.n >= this.minInstances) {
      const up = this.testUp ? this.sumIncrease - this.minIncrease : 0;
      const down = this.testDown ? this.maxDecrease - this.sumDecrease : 0;
      this.drift = (this.testUp && up > this.threshold) || (this.testDown && down > this.threshold);
      this.lastScore = this.drift ? 1 : this.threshold > 0 ? unitScore((up > down ? up : down) / this.threshold) : 0;
    }
    return this;
  }

  snapshot(): DetectorSnapshot {
    return {
      type: NAME,
      version: PageHinkley.VERSION,
      params: {
        minInstances: this.minInstances,
        delta: this.delta,
        threshold: this.threshold,
        alpha: this.alpha,
        mode: this.mode,
        skipInvalid: this.skipInvalid,
      },
      state: {
        n: this.n,
        mean: this.mean,
        sumIncrease: this.sumIncrease,
        sumDecrease: this.sumDecrease,
        minIncrease: encodeNumber(this.minIncrease),
        maxDecrease: encodeNumber(this.maxDecrease),
        ...this.flagState(),
      },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): PageHinkley {
    const { params, state } = checkSnapshot(snapshot, NAME, PageHinkley.VERSION);
    const d = new PageHinkley(params as PageHinkleyParams);
    d.n = decodeNumber(state.n, 'state.n');
    d.mean = decodeNumber(state.mean, 'state.mean');
    d.sumIncrease = decodeNumber(state.sumIncrease, 'state.sumIncrease');
    d.sumDecrease = decodeNumber(state.sumDecrease, 'state.sumDecrease');
    d.minIncrease = decodeNumber(state.minIncrease, 'state.minIncrease');
    d.maxDecrease = decodeNumber(state.maxDecrease, 'state.maxDecrease');
    d.restoreFlags(state);
    return d;
  }
}
