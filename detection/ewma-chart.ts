/**
 * EWMA control chart for a change in the mean of a real-valued stream — the algorithm of River's
 * `drift.EWMA` (River's main branch, `river/drift/ewma.py`; River 0.26.1 on PyPI ships no EWMA
 * detector, see bench/river/README.md).
 *
 * With fading factor `α`, the chart statistic, the running mean of all values since the last
 * reset, and an exponentially weighted variance (mean of squares minus squared mean, both
 * faded with `α`, the first value taken as is) are
 *
 *     Z_t = α·x_t + (1 − α)·Z_{t−1}   (Z_1 = x_1)        x̄_t = mean(x_1 … x_t)
 *     σ²_t = EW(x²)_t − EW(x)_t²
 *
 * and from `t ≥ min_instances` the control limit, corrected for the start-up of the chart, is
 *
 *     b_t = L · σ_t · sqrt( α/(2 − α) · (1 − (1 − α)^{2t}) )        (L = threshold)
 *
 * An increase is signalled when `Z_t − x̄_t > b_t`, a decrease when `x̄_t − Z_t > b_t`
 * (`mode` picks which count); the detector resets on the update after a detection.
 * Score: the active deviation divided by `b_t`, clipped to [0, 1].
 *
 * Example (the mean moves from 0 to 3 at index 1000):
 * ```ts
 * import { RandomState } from './random';
 * import { EwmaChart } from './ewma-chart';
 * const rng = new RandomState(12345);
 * const chart = new EwmaChart({ alpha: 0.1, threshold: 4, minInstances: 50 });
 * for (let i = 0; i < 2000; i++) if (chart.update(rng.normal(i < 1000 ? 0 : 3, 1)).driftDetected) console.log(i);
 * // 1006
 * ```
 *
 * Reference: S. W. Roberts, "Control chart tests based on geometric moving averages",
 * Technometrics 1(3):239–250, 1959; J. M. Lucas and M. S. Saccucci, "Exponentially weighted
 * moving average control schemes: properties and enhancements", Technometrics 32(1):1–12, 1990.
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
  checkPositive,
  checkSnapshot,
  decodeBoolean,
  decodeNumber,
  invalidSetting,
  unitScore,
} from './detector';
import { DetectorBase } from './detector-base';

export interface EwmaChartParams extends CommonOptions {
  /** Fading factor α in (0, 1]: weight of the newest value. Default 0.1. */
  readonly alpha?: number;
  /** Control-limit width L in standard errors. Default 4. */
  readonly threshold?: number;
  /** Updates before the chart starts testing. Default 30. */
  readonly minInstances?: number;
  /** Which change to detect: "up", "down" or "both". Default "both". */
  readonly mode?: Mode;
}

const KNOWN = ['alpha', 'threshold', 'minInstances', 'mode'] as const;
const NAME = 'ewma';

export class EwmaChart extends DetectorBase implements StreamingDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly alpha: number;
  readonly threshold: number;
  readonly minInstances: number;
  readonly mode: Mode;
  readonly skipInvalid: boolean;

  private readonly testUp: boolean;
  private readonly testDown: boolean;
  private readonly oneMinusAlpha: number;
  private readonly steadyFactor: number;
  private n = 0;
  private z = 0;
  private mean = 0;
  private ewMean = 0;
  private ewSquare = 0;
  /** True once (1 − α)^{2t} no longer changes the start-up factor. */
  private settled = false;

  constructor(params: EwmaChartParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    const alpha = params.alpha ?? 0.1;
    if (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 1)) invalidSetting(NAME, 'alpha', alpha, 'a number in (0, 1]');
    this.alpha = alpha;
    this.threshold = checkPositive(NAME, 'threshold', params.threshold ?? 4);
    this.minInstances = checkInteger(NAME, 'minInstances', params.minInstances ?? 30, 1);
    this.mode = checkMode(NAME, params.mode ?? 'both');
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
    this.testUp = this.mode !== 'down';
    this.testDown = this.mode !== 'up';
    this.oneMinusAlpha = 1 - alpha;
    this.steadyFactor = alpha / (2 - alpha);
  }

  /** Per class, not in the base: read on every update, a getter shared by all eight classes would go megamorphic. */
  get driftDetected(): boolean {
    return this.drift;
  }

  protected reset(): void {
    this.n = 0;
    this.z = 0;
    this.mean = 0;
    this.ewMean = 0;
    this.ewSquare = 0;
    this.settled = false;
    this.clearFlags();
  }

  update(x: number): this {
    if (typeof x !== 'number' || x - x !== 0) return this.rejectInput(x);
    if (this.drift) this.reset();

    const n = ++this.n;
    const a = this.alpha;
    const b = this.oneMinusAlpha;
    if (n === 1) {
      this.z = x;
      this.ewMean = x;
      this.ewSquare = x * x;
    } else {
      this.z = a * x + b * this.z;
      this.ewMean = a * x + b * this.ewMean;
      this.ewSquare = a * (x * x) + b * this.ewSquare;
    }
    this.mean += (1 / n) * (x - this.mean);
    if (n < this.minInstances) return this;

    const variance = this.ewSquare - this.ewMean * this.ewMean;
    const sigma = Math.sqrt(variance > 0 ? variance : 0);
    let factor = this.steadyFactor;
    if (!this.settled) {
      const fade = Math.pow(b, 2 * n);
      const startup = 1 - fade;
      // Once (1 − α)^{2t} is below half an ulp of 1 it stays there: skip the pow from now on.
      if (startup === 1) this.settled = true;
      factor = this.steadyFactor * startup;
    }
    const bound = this.threshold * sigma * Math.sqrt(factor);
    const devUp = this.z - this.mean;
    const devDown = -devUp;
    this.drift = (this.testUp && devUp > bound) || (this.testDown && devDown > bound);
    if (this.drift) {
      this.lastScore = 1;
    } else {
      const up = this.testUp ? devUp : 0;
      const down = this.testDown ? devDown : 0;
      const dev = up > down ? up : down;
      this.lastScore = bound > 0 ? unitScore(dev / bound) : 0;
    }
    return this;
  }

  snapshot(): DetectorSnapshot {
    return {
      type: NAME,
      version: EwmaChart.VERSION,
      params: { alpha: this.alpha, threshold: this.threshold, minInstances: this.minInstances, mode: this.mode, skipInvalid: this.skipInvalid },
      state: {
        n: this.n,
        z: this.z,
        mean: this.mean,
        ewMean: this.ewMean,
        ewSquare: this.ewSquare,
        settled: this.settled,
        ...this.flagState(),
      },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): EwmaChart {
    const { params, state } = checkSnapshot(snapshot, NAME, EwmaChart.VERSION);
    const d = new EwmaChart(params as EwmaChartParams);
    d.n = decodeNumber(state.n, 'state.n');
    d.z = decodeNumber(state.z, 'state.z');
    d.mean = decodeNumber(state.mean, 'state.mean');
    d.ewMean = decodeNumber(state.ewMean, 'state.ewMean');
    d.ewSquare = decodeNumber(state.ewSquare, 'state.ewSquare');
    d.settled = decodeBoolean(state.settled, 'state.settled');
    d.restoreFlags(state);
    return d;
  }
}
