/**
 * A windowed two-proportion test for a 0/1 error stream: is the error rate of the last `window`
 * updates higher than the reference rate learnt at the start?
 *
 *   z_t = (p̂_window − p̂_ref) / sqrt(p̄ (1 − p̄) (1/window + 1/n_ref)),  p̄ the pooled rate
 *
 * Unlike DDM/HDDM it does not relearn its reference after a detection: on a deployed model whose
 * error stays high until someone retrains it, relearning would take the degraded rate as the new
 * normal and hide the next degradation. Instead it *disarms* after a detection and re-arms only
 * once the error rate is back at the reference (the last `rearmWindow` updates at or below it, and
 * the window's z below `rearmZ`) — the incident is over — so one degradation gives one detection.
 *
 * Example: const d = new WindowedProportionTest({ threshold: 4 });
 *          for (const e of errors) if (d.update(e).driftDetected) page();
 * Reference: the two-proportion z-test applied to a sliding window, as in STEPD (Nishida &
 * Yamauchi, "Detecting concept drift using statistical testing", Discovery Science 2007).
 */
import { HomeostatError } from '../common/errors';

export interface WindowedProportionOptions {
  /** Recent updates compared with the reference. Default 150. */
  window?: number;
  /** Updates (after the first window) that form the reference rate; then it is frozen. Default 500. */
  reference?: number;
  /** z at or above which a detection is made. Default 4. */
  threshold?: number;
  /** Updates whose error rate must be back at the reference to re-arm. Default 50. */
  rearmWindow?: number;
  /** … and the window's z must have fallen below this. Default `threshold / 2`. */
  rearmZ?: number;
}

export class WindowedProportionTest {
  readonly window: number;
  readonly reference: number;
  readonly threshold: number;
  readonly rearmWindow: number;
  readonly rearmZ: number;
  private readonly ring: Uint8Array;
  private n = 0;
  private winSum = 0;
  private refSum = 0;
  private refCount = 0;
  private armed = true;
  private z = 0;
  private drift = false;

  constructor(options: WindowedProportionOptions = {}) {
    this.window = options.window ?? 150;
    this.reference = options.reference ?? 500;
    this.threshold = options.threshold ?? 4;
    this.rearmWindow = options.rearmWindow ?? 50;
    this.rearmZ = options.rearmZ ?? this.threshold / 2;
    for (const [k, v] of [['window', this.window], ['reference', this.reference], ['rearmWindow', this.rearmWindow]] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new HomeostatError('HS_INVALID_INPUT', `proportion test: ${k} must be an integer ≥ 1, got ${v}`);
    }
    if (!(this.threshold > 0)) throw new HomeostatError('HS_INVALID_INPUT', `proportion test: threshold must be > 0, got ${this.threshold}`);
    if (!Number.isFinite(this.rearmZ)) throw new HomeostatError('HS_INVALID_INPUT', `proportion test: rearmZ must be finite, got ${this.rearmZ}`);
    this.ring = new Uint8Array(Math.max(this.window, this.rearmWindow));
  }

  update(x: number): this {
    if (x !== 0 && x !== 1) throw new HomeostatError('HS_INVALID_INPUT', `proportion test: input must be 0 or 1, got ${x}`);
    const cap = this.ring.length;
    // The value leaving the window joins the reference until the reference is complete.
    if (this.n >= this.window) {
      const leaving = this.ring[(this.n - this.window) % cap];
      this.winSum -= leaving;
      if (this.refCount < this.reference) {
        this.refSum += leaving;
        this.refCount++;
      }
    }
    this.ring[this.n % cap] = x;
    this.winSum += x;
    this.n++;
    this.drift = false;
    this.z = 0;
    if (this.refCount < this.reference) return this;
    const pRef = this.refSum / this.refCount;
    const pWin = this.winSum / this.window;
    const pooled = (this.refSum + this.winSum) / (this.refCount + this.window);
    const se = Math.sqrt(Math.max(pooled * (1 - pooled), 1e-6) * (1 / this.window + 1 / this.refCount));
    this.z = (pWin - pRef) / se;
    if (!this.armed) {
      if (this.z >= this.rearmZ) return this;
      let recent = 0;
      for (let k = 1; k <= this.rearmWindow; k++) recent += this.ring[(this.n - k) % cap];
      if (recent / this.rearmWindow <= pRef) this.armed = true;
      return this;
    }
    if (this.z >= this.threshold) {
      this.drift = true;
      this.armed = false;
    }
    return this;
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  /** z / threshold clipped to [0, 1]; 1 on a detection. */
  get score(): number {
    return this.drift ? 1 : Math.min(1, Math.max(0, this.z / this.threshold));
  }
}
