/**
 * KSWIN — Kolmogorov–Smirnov Windowing (River 0.26.1 `drift.KSWIN`) for a real-valued stream.
 *
 * The last `window_size` values are kept. Once the window is full, every update compares its
 * `stat_size` most recent values with `stat_size` values drawn at random (without replacement)
 * from the older part of the window, by the two-sample Kolmogorov–Smirnov test; a drift is
 * signalled when the p-value is at most `alpha` and the statistic D exceeds 0.1. The detector
 * resets on the update after a drift: empty window, and the random generator seeded again.
 *
 * Parity with River needs the same random draws and the same p-value:
 *  - the reference sample is `random.Random(seed).sample(range(window_size − stat_size),
 *    stat_size)`, CPython's generator reproduced by `python-random.ts`. River's default seed is
 *    None (a different sample on every run); Homeostat needs a seed and defaults to 42;
 *  - the test is scipy's `ks_2samp(method="auto")`, which for two samples of equal size n ≤ 10,000
 *    is exact: D = h/n with h the largest gap between the two empirical counts, and
 *    P(D ≥ h/n) by scipy's `_compute_prob_outside_square`, the same products in the same order.
 *
 * Example (River's parity stream "gauss-shift": 1000 × N(0, 1) then 1000 × N(1, 1), numpy seed 7;
 * River 0.26.1's `KSWIN(seed=1)` reports the same two indices):
 * ```ts
 * import { RandomState } from './random';
 * import { Kswin } from './kswin';
 * const rng = new RandomState(7);
 * const stream = [0, 1].flatMap((mu) => Array.from({ length: 1000 }, () => rng.normal(mu, 1)));
 * const kswin = new Kswin({ seed: 1 });
 * stream.forEach((x, i) => { if (kswin.update(x).driftDetected) console.log(i); });
 * // 592
 * // 1031
 * ```
 *
 * Score: log p / log alpha (0 at p = 1, reaching alpha's level at 1), kept below 1 without a drift;
 * 1 on a drift.
 *
 * Reference: C. Raab, M. Heusinger and F.-M. Schleif, "Reactive Soft Prototype Computing for
 * Concept Drift Streams", Neurocomputing 416:340–351, 2020.
 */
import {
  type CommonOptions,
  type DetectorSnapshot,
  type StreamingDetector,
  checkBoolean,
  checkInteger,
  checkKnownParams,
  checkSnapshot,
  decodeNumber,
  decodeNumberArray,
  invalidSetting,
  unitScore,
} from './detector';
import { DetectorBase } from './detector-base';
import { PythonRandom } from './python-random';

export interface KswinParams extends CommonOptions {
  /** Significance level of the KS test, in [0, 1]. Default 0.005. */
  readonly alpha?: number;
  /** Values kept (River `window_size`). Default 100. */
  readonly windowSize?: number;
  /** Size of each of the two compared samples (River `stat_size`), < windowSize. Default 30. */
  readonly statSize?: number;
  /** Seed of the reference-sample draws (River `seed`; None there, 42 here). */
  readonly seed?: number;
}

const KNOWN = ['alpha', 'windowSize', 'statSize', 'seed'] as const;
const NAME = 'kswin';

/** scipy's P(D_{n,n} ≥ h/n) (`_compute_prob_outside_square`), operation for operation. */
export function ksProbOutsideSquare(n: number, h: number): number {
  let p = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
    k--;
  }
  return 2 * p;
}

/** Largest |count_a(x) − count_b(x)| over the pooled values, both samples sorted, of equal size. */
function ksGap(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let i = 0;
  let j = 0;
  let gap = 0;
  while (i < n || j < n) {
    // Step past every copy of the next pooled value in both samples (searchsorted 'right').
    const x = j >= n || (i < n && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n && a[i] <= x) i++;
    while (j < n && b[j] <= x) j++;
    const d = i > j ? i - j : j - i;
    if (d > gap) gap = d;
  }
  return gap;
}

export class Kswin extends DetectorBase implements StreamingDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly alpha: number;
  readonly windowSize: number;
  readonly statSize: number;
  readonly seed: number;
  readonly skipInvalid: boolean;

  /** Ring of the last `windowSize` values; `count` of them are valid, the oldest at `head`. */
  private readonly ring: Float64Array;
  private head = 0;
  private count = 0;
  private rng: PythonRandom;
  private pValue = 0;
  private n = 0;
  private readonly older: Float64Array;
  private readonly recent: Float64Array;

  constructor(params: KswinParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    const alpha = params.alpha ?? 0.005;
    if (!(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) invalidSetting(NAME, 'alpha', alpha, 'a number in [0, 1]');
    this.alpha = alpha;
    this.windowSize = checkInteger(NAME, 'windowSize', params.windowSize ?? 100, 2);
    this.statSize = checkInteger(NAME, 'statSize', params.statSize ?? 30, 1);
    if (this.statSize >= this.windowSize) invalidSetting(NAME, 'statSize', this.statSize, `an integer smaller than windowSize (${this.windowSize})`);
    this.seed = checkInteger(NAME, 'seed', params.seed ?? 42, 0);
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
    this.ring = new Float64Array(this.windowSize);
    this.older = new Float64Array(this.statSize);
    this.recent = new Float64Array(this.statSize);
    this.rng = new PythonRandom(this.seed);
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  /** p-value of the last test (0 before the window first fills, as in River). */
  get p(): number {
    return this.pValue;
  }

  protected reset(): void {
    this.head = 0;
    this.count = 0;
    this.pValue = 0;
    this.n = 0;
    this.rng = new PythonRandom(this.seed);
    this.clearFlags();
  }

  update(x: number): this {
    if (typeof x !== 'number' || x - x !== 0) return this.rejectInput(x);
    if (this.drift) this.reset();
    this.n++;
    const w = this.windowSize;
    if (this.count < w) {
      this.ring[(this.head + this.count) % w] = x;
      this.count++;
    } else {
      this.ring[this.head] = x;
      this.head = (this.head + 1) % w;
    }
    if (this.count < w) {
      this.drift = false;
      return this;
    }
    const k = this.statSize;
    const picks = this.rng.sample(w - k, k);
    for (let i = 0; i < k; i++) this.older[i] = this.ring[(this.head + picks[i]) % w];
    for (let i = 0; i < k; i++) this.recent[i] = this.ring[(this.head + w - k + i) % w];
    this.older.sort();
    this.recent.sort();
    const h = ksGap(this.older, this.recent);
    const d = h / k;
    const p = h === 0 ? 1 : ksProbOutsideSquare(k, h);
    this.pValue = p < 0 ? 0 : p > 1 ? 1 : p;
    if (this.pValue <= this.alpha && d > 0.1) {
      this.drift = true;
      this.lastScore = 1;
    } else {
      this.drift = false;
      // log p / log alpha: 0 at p = 1, 1 at p = alpha; kept below 1 without a drift.
      const s = this.alpha > 0 && this.alpha < 1 && this.pValue > 0 ? Math.log(this.pValue) / Math.log(this.alpha) : 0;
      this.lastScore = Math.min(0.999, unitScore(s));
    }
    return this;
  }

  snapshot(): DetectorSnapshot {
    const values: number[] = [];
    for (let i = 0; i < this.count; i++) values.push(this.ring[(this.head + i) % this.windowSize]);
    const rng = this.rng.getState();
    return {
      type: NAME,
      version: Kswin.VERSION,
      params: { alpha: this.alpha, windowSize: this.windowSize, statSize: this.statSize, seed: this.seed, skipInvalid: this.skipInvalid },
      state: { window: values, n: this.n, pValue: this.pValue, rngState: rng.mt, rngIndex: rng.index, ...this.flagState() },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): Kswin {
    const { params, state } = checkSnapshot(snapshot, NAME, Kswin.VERSION);
    const d = new Kswin(params as KswinParams);
    const values = decodeNumberArray(state.window, 'state.window');
    d.ring.set(values.slice(0, d.windowSize));
    d.head = 0;
    d.count = Math.min(values.length, d.windowSize);
    d.n = decodeNumber(state.n, 'state.n');
    d.pValue = decodeNumber(state.pValue, 'state.pValue');
    d.rng.setState({ mt: decodeNumberArray(state.rngState, 'state.rngState'), index: decodeNumber(state.rngIndex, 'state.rngIndex') });
    d.restoreFlags(state);
    return d;
  }
}
