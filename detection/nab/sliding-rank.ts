/**
 * Empirical tail probabilities over a sliding window: the last `capacity` values kept both in
 * arrival order (ring) and sorted, so "how unusual is x among recent history" is two binary
 * searches. Distribution-free, so a surprise computed here means the same on a smooth CPU series
 * and on spiky tweet counts — which is what lets one corpus-wide threshold work.
 */
export class SlidingRank {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  private n = 0;

  constructor(readonly capacity: number) {
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Number of stored values < x. */
  private lower(x: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Number of stored values ≤ x. */
  private upper(x: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * −log10 of the two-sided tail probability of x, with a +1 (Laplace) correction so an unseen
   * value scores log10(n + 1) rather than infinity. Beyond the observed range the tail is extended
   * exponentially in units of the inter-quantile spread, so "far outside" beats "just outside".
   */
  surprise(x: number, sided: -1 | 0 | 1 = 0): number {
    const n = this.n;
    if (n < 2) return 0;
    const below = this.lower(x); // strictly less
    const above = n - this.upper(x); // strictly greater
    const ge = n - below;
    const le = n - above;
    const pHi = (ge + 1) / (n + 1);
    const pLo = (le + 1) / (n + 1);
    let p = sided === 1 ? pHi : sided === -1 ? pLo : Math.min(1, 2 * Math.min(pHi, pLo));
    let excess = 0;
    const min = this.sorted[0];
    const max = this.sorted[n - 1];
    if ((x > max && sided !== -1) || (x < min && sided !== 1)) {
      const q1 = this.sorted[Math.floor(0.1 * (n - 1))];
      const q9 = this.sorted[Math.ceil(0.9 * (n - 1))];
      let spread = q9 - q1;
      if (!(spread > 0)) spread = max - min;
      if (!(spread > 0)) spread = Math.abs(max) * 0.01 + 1e-9;
      excess = (x > max ? x - max : min - x) / spread;
      p *= Math.exp(-Math.min(excess, 50));
    }
    return -Math.log10(p);
  }

  /** Fraction of stored values ≤ x (0 when empty). */
  cdf(x: number): number {
    return this.n === 0 ? 0 : this.upper(x) / this.n;
  }

  /** Fraction of stored values < x (0 when empty). */
  cdfBelow(x: number): number {
    return this.n === 0 ? 0 : this.lower(x) / this.n;
  }

  get min(): number {
    return this.sorted[0];
  }

  get max(): number {
    return this.sorted[this.n - 1];
  }

  push(x: number): void {
    const cap = this.capacity;
    if (this.n === cap) {
      const old = this.ring[this.head];
      const at = this.lower(old);
      this.sorted.copyWithin(at, at + 1, this.n);
      this.n--;
    }
    this.ring[this.head] = x;
    this.head = (this.head + 1) % cap;
    const at = this.upper(x);
    this.sorted.copyWithin(at + 1, at, this.n);
    this.sorted[at] = x;
    this.n++;
  }
}
