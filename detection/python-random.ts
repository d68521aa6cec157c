/**
 * CPython's `random.Random`: the MT19937 generator with Python's integer seeding, `random()`,
 * `getrandbits(k)` (k ≤ 32), `_randbelow(n)` and `sample(range(n), k)`, reproduced draw for draw.
 *
 * Two references need Python's stream exactly: River's KSWIN draws its reference sample with
 * `random.Random(seed).sample(...)`, and NAB's `random` detector scores every row with
 * `random.uniform(0, 1)` after `random.seed(42)`. Both are checked against Python's own output in
 * the tests. (numpy's legacy generator, which River's golden streams use, is `random.ts`.)
 */
import { HomeostatError } from '../common/errors';
import { Mt19937 } from './mt19937';

export class PythonRandom {
  private readonly core = new Mt19937();

  constructor(seed: number) {
    this.seed(seed);
  }

  /** `random.seed(n)` for a non-negative integer n < 2^53: init_by_array over its 32-bit words. */
  seed(seed: number): void {
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= Number.MAX_SAFE_INTEGER)) {
      throw new HomeostatError('HS_INVALID_INPUT', `python random: seed must be an integer in [0, 2^53), got ${seed}`);
    }
    const key: number[] = [];
    let rest = seed;
    do {
      key.push(rest % 0x1_0000_0000);
      rest = Math.floor(rest / 0x1_0000_0000);
    } while (rest > 0);
    this.core.initByArray(key);
  }

  /** The generator's full state (as `random.getstate()` holds it): 624 words and the position. */
  getState(): { mt: number[]; index: number } {
    return this.core.getState();
  }

  setState(state: { mt: readonly number[]; index: number }): void {
    this.core.setState(state);
  }

  /** One tempered 32-bit output (genrand_uint32). */
  uint32(): number {
    return this.core.nextUint32();
  }

  /** `random.random()`: 53 bits from two outputs, in [0, 1). */
  random(): number {
    return this.core.res53();
  }

  /** `random.getrandbits(k)` for 1 ≤ k ≤ 32. */
  getrandbits(k: number): number {
    if (!(Number.isInteger(k) && k >= 1 && k <= 32)) throw new HomeostatError('HS_INVALID_INPUT', `python random: getrandbits needs 1 ≤ k ≤ 32, got ${k}`);
    return this.uint32() >>> (32 - k);
  }

  /** `Random._randbelow(n)`: uniform in [0, n) by rejection on bit_length(n) bits. */
  randbelow(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= 0xffff_ffff)) throw new HomeostatError('HS_INVALID_INPUT', `python random: randbelow needs 1 ≤ n < 2^32, got ${n}`);
    const k = 32 - Math.clz32(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /**
   * `random.sample(range(n), k)` as CPython 3.11 computes it: a partial Fisher–Yates over a pool
   * when n is small against k, else rejection of repeats from a set.
   */
  sample(n: number, k: number): number[] {
    if (!(Number.isInteger(k) && k >= 0 && k <= n)) throw new HomeostatError('HS_INVALID_INPUT', `python random: sample larger than population or negative (n ${n}, k ${k})`);
    const out = new Array<number>(k);
    let setsize = 21;
    if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    if (n <= setsize) {
      const pool = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        out[i] = pool[j];
        pool[j] = pool[n - i - 1];
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.randbelow(n);
        while (selected.has(j)) j = this.randbelow(n);
        selected.add(j);
        out[i] = j;
      }
    }
    return out;
  }
}
