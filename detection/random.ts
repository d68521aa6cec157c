/**
 * A seeded random source that reproduces numpy's legacy generator (`np.random.seed(s)` /
 * `np.random.RandomState(s)`) draw for draw, so detectors can be checked against River on the
 * very streams River's own tests use.
 *
 * - Core: MT19937 (Matsumoto & Nishimura 1998), seeded with `init_genrand(seed)` — what numpy's
 *   legacy seeding does for an integer seed.
 * - `randomDouble()`: 53-bit double from two draws, `((a >>> 5) · 2^26 + (b >>> 6)) / 2^53`.
 * - `randint(high)`: masked rejection sampling on 32-bit draws (numpy's legacy path for ranges
 *   below 2^32): `u32 & mask`, redrawn while above `high − 1`.
 * - `binomial(n, p)`: numpy's inversion algorithm (used when `min(p, 1 − p) · n ≤ 30`).
 * - `normal(loc, scale)`: the legacy polar Box–Muller method; the second value of each pair is
 *   cached and returned by the next call, across calls with different `loc` / `scale`. Values
 *   can differ from numpy's in the last bit or two, because V8's `Math.log` and glibc's `log`
 *   round differently for a few per cent of arguments; anything derived from their sign (River's
 *   0/1 test stream 3) is identical.
 *
 * Example (numpy: `np.random.seed(12345); np.random.randint(8, size=5)` → `[2 5 5 1 4]`):
 * ```ts
 * import { RandomState } from './random';
 * const rng = new RandomState(12345);
 * console.log([0, 1, 2, 3, 4].map(() => rng.randint(8)).join(' '));
 * // 2 5 5 1 4
 * ```
 *
 * Reference: M. Matsumoto and T. Nishimura, "Mersenne Twister: a 623-dimensionally
 * equidistributed uniform pseudo-random number generator", ACM TOMACS 8(1), 1998.
 */
import { HomeostatError } from '../common/errors';
import { Mt19937 } from './mt19937';

export class RandomState {
  private readonly core = new Mt19937();
  private hasGauss = false;
  private gauss = 0;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new HomeostatError('HS_INVALID_INPUT', `seed must be an integer in [0, 2^32 − 1], got ${seed}`);
    }
    // numpy's legacy seeding of an integer: init_genrand.
    this.core.initGenrand(seed >>> 0);
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    return this.core.nextUint32();
  }

  /** Uniform double in [0, 1) with 53 random bits (genrand_res53). */
  randomDouble(): number {
    return this.core.res53();
  }

  /** Integer in [0, high), as `np.random.randint(high)` draws it (high ≤ 2^32). */
  randint(high: number): number {
    if (!Number.isInteger(high) || high < 1 || high > 0x100000000) {
      throw new HomeostatError('HS_INVALID_INPUT', `randint high must be an integer in [1, 2^32], got ${high}`);
    }
    const rng = high - 1;
    if (rng === 0) return 0;
    let mask = rng;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (;;) {
      const v = (this.nextUint32() & mask) >>> 0;
      if (v <= rng) return v;
    }
  }

  /** Binomial draw by numpy's inversion algorithm; supports `min(p, 1 − p) · n ≤ 30`. */
  binomial(n: number, p: number): number {
    if (!Number.isInteger(n) || n < 0 || !(p >= 0 && p <= 1)) {
      throw new HomeostatError('HS_INVALID_INPUT', `binomial needs an integer n ≥ 0 and p in [0, 1], got n=${n}, p=${p}`);
    }
    if (n === 0 || p === 0) return 0;
    if (p <= 0.5) {
      if (p * n > 30) throw new HomeostatError('HS_INVALID_INPUT', 'binomial: n·p > 30 needs the BTPE algorithm, which is not implemented');
      return this.binomialInversion(n, p);
    }
    const q = 1.0 - p;
    if (q * n > 30) throw new HomeostatError('HS_INVALID_INPUT', 'binomial: n·(1 − p) > 30 needs the BTPE algorithm, which is not implemented');
    return n - this.binomialInversion(n, q);
  }

  private binomialInversion(n: number, p: number): number {
    const q = 1.0 - p;
    const qn = Math.exp(n * Math.log(q));
    const np = n * p;
    const bound = Math.trunc(Math.min(n, np + 10.0 * Math.sqrt(np * q + 1)));
    let x = 0;
    let px = qn;
    let u = this.randomDouble();
    while (u > px) {
      x++;
      if (x > bound) {
        x = 0;
        px = qn;
        u = this.randomDouble();
      } else {
        u -= px;
        px = ((n - x + 1) * p * px) / (x * q);
      }
    }
    return x;
  }

  /** Standard normal by the legacy polar method, caching the pair's second value. */
  standardNormal(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      const g = this.gauss;
      this.gauss = 0;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2.0 * this.randomDouble() - 1.0;
      x2 = 2.0 * this.randomDouble() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** `loc + scale · standardNormal()`, as `np.random.normal(loc, scale)`. */
  normal(loc: number, scale: number): number {
    return loc + scale * this.standardNormal();
  }
}
