/**
 * The Mersenne Twister MT19937 (Matsumoto & Nishimura 1998), the generator behind both numpy's
 * legacy `RandomState` (`random.ts`) and CPython's `random` module (`python-random.ts`): the two
 * differ only in how a seed becomes the initial state (`init_genrand` for numpy's integer seeds,
 * `init_by_array` for Python's) and in what they build from the 32-bit outputs.
 */
import { HomeostatError } from '../common/errors';

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  /** Knuth's linear initialiser from the reference implementation (init_genrand). */
  initGenrand(seed: number): void {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 · prev + i, modulo 2^32 (Math.imul keeps the low 32 bits exactly).
      mt[i] = (Math.imul(prev, 1812433253) + i) >>> 0;
    }
    this.mti = N;
  }

  /** The reference implementation's init_by_array over 32-bit words. */
  initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x8000_0000;
    this.mti = N;
  }

  /** Next tempered 32-bit output (genrand_int32). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits (genrand_res53). */
  res53(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** The full state: 624 words and the position in them. */
  getState(): { mt: number[]; index: number } {
    return { mt: Array.from(this.mt), index: this.mti };
  }

  setState(state: { mt: readonly number[]; index: number }): void {
    if (state.mt.length !== N || !state.mt.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff_ffff) || !(Number.isInteger(state.index) && state.index >= 0 && state.index <= N)) {
      throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `mt19937: a state needs ${N} 32-bit words and a position in [0, ${N}]`);
    }
    this.mt.set(state.mt);
    this.mti = state.index;
  }
}
