/**
 * Runs a batch window test as a streaming detector, so KL, PSI, KS, JS or Wasserstein can sit in
 * a fusion component beside ADWIN and CUSUM. The first `window` values after a (re)start form the
 * reference; afterwards the last `window` values are tested against it every `step` updates.
 * On a detection the detector starts over (a fresh reference from the next values), as the
 * streaming detectors do; `score` is the test's standardised score at the last test.
 */
import { type Sample, type WindowTestResult, invalid } from './common';

export type BatchTest = (reference: Sample, current: Sample) => WindowTestResult;

export interface WindowDetectorOptions {
  /** Length of the reference and of the current window. Default 200. */
  window?: number;
  /** Updates between tests. Default 20. */
  step?: number;
}

export class WindowTestDetector {
  readonly window: number;
  readonly step: number;
  private readonly ref: Float64Array;
  private readonly cur: Float64Array;
  private readonly ordered: Float64Array;
  private nRef = 0;
  private nCur = 0;
  private head = 0;
  private sinceTest = 0;
  private drift = false;
  private lastScore = 0;
  private last: WindowTestResult | null = null;

  constructor(
    private readonly test: BatchTest,
    opts: WindowDetectorOptions = {},
  ) {
    this.window = opts.window ?? 200;
    this.step = opts.step ?? 20;
    if (!(Number.isInteger(this.window) && this.window >= 5)) throw invalid('window-detector', `window must be an integer ≥ 5, got ${this.window}`);
    if (!(Number.isInteger(this.step) && this.step >= 1)) throw invalid('window-detector', `step must be an integer ≥ 1, got ${this.step}`);
    this.ref = new Float64Array(this.window);
    this.cur = new Float64Array(this.window);
    this.ordered = new Float64Array(this.window);
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get score(): number {
    return this.lastScore;
  }

  /** The last test's full result (statistic, p-value…), or null before the first test. */
  get lastResult(): WindowTestResult | null {
    return this.last;
  }

  update(x: number): this {
    if (!Number.isFinite(x)) throw invalid('window-detector', `input must be a finite number, got ${x}`);
    if (this.drift) {
      this.drift = false;
      this.nRef = 0;
      this.nCur = 0;
      this.head = 0;
      this.sinceTest = 0;
      this.lastScore = 0;
    }
    if (this.nRef < this.window) {
      this.ref[this.nRef++] = x;
      return this;
    }
    this.cur[this.head] = x;
    this.head = (this.head + 1) % this.window;
    if (this.nCur < this.window) this.nCur++;
    if (this.nCur === this.window && ++this.sinceTest >= this.step) {
      this.sinceTest = 0;
      // Order does not matter to these tests, but copy so the ring can keep moving.
      this.ordered.set(this.cur);
      const r = this.test(this.ref, this.ordered);
      this.last = r;
      this.lastScore = r.score;
      this.drift = r.drift;
    }
    return this;
  }
}
