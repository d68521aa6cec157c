/**
 * ADWIN — ADaptive WINdowing (ADWIN2) with River 0.26 semantics, for a real-valued stream.
 *
 * The window is kept as an exponential histogram: row `i` holds up to `max_buckets` bucket
 * summaries of `2^i` values each (total `u` and sum of squared deviations `v`), oldest first.
 * A new value enters row 0 as a bucket of one; whenever a row reaches `max_buckets + 1`
 * buckets, its two oldest `(u₁, v₁), (u₂, v₂)` merge into one bucket of the next row:
 *
 *     u = u₁ + u₂        v = v₁ + v₂ + 2^i · ½ · (u₁/2^i − u₂/2^i)²
 *
 * The window keeps its width `W`, total and variance sum `V` incrementally (Welford on insert,
 * Chan et al. on removal of the oldest bucket).
 *
 * Every `clock` updates, once `W > grace_period`, every split of the window into an older part
 * `W₀` (n₀ values, mean μ₀) and a newer part `W₁` (n₁, μ₁) at a bucket boundary is tested, oldest
 * boundary first — every bucket of every row, the newest row-0 bucket excepted. With
 * `δ' = ln(2·ln(W)/δ)` and `m = 1/(n₀ − min_window_length + 1) + 1/(n₁ − min_window_length + 1)`,
 * a cut is made when both parts have at least `min_window_length` values and
 *
 *     |μ₀ − μ₁| > ε = sqrt(2·m·(V/W)·δ') + (2/3)·δ'·m
 *
 * A cut drops the oldest bucket and restarts the scan; the update reports a drift, and the whole
 * detector is reset on the next update (as River does).
 *
 * Speed without changing a single answer: most splits are far from a cut, so each split is first
 * put through a division- and square-root-free test on `D = u₀·n₁ − u₁·n₀` that proves
 * `|μ₀ − μ₁| ≤ ε` with a relative margin of 10⁻¹² (a thousand times any rounding of either
 * side): it checks `|μ₀ − μ₁| ≤ (2/3)·δ'·m` or `|μ₀ − μ₁|² ≤ 2·m·(V/W)·δ'` in multiplied-out
 * form. Only splits it cannot clear run River's test, in River's operation order, so the
 * detections are River's bit for bit.
 *
 * Score: how close the last scan came to a cut, `|μ₀ − μ₁|/ε` — the largest exact ratio among
 * splits that ran the full test, or the exact ratio at the split with the largest
 * `|μ₀ − μ₁|²/m` among those the filter cleared — clipped to [0, 1], 1 on a drift, held between
 * scans.
 *
 * Memory: two Float64Arrays of `rows × (max_buckets + 1)` entries, each row a ring buffer (so
 * merging the two oldest buckets moves no data), grown a few rows at a time; after 10^6 updates
 * at the defaults the window has ~18 rows (< 2 KB of bucket data).
 *
 * Example (stream 1 of River's drift tests: 1000 × randint(2) then 1000 × randint(8)):
 * ```ts
 * import { RandomState } from './random';
 * import { Adwin } from './adwin';
 * const rng = new RandomState(12345);
 * const stream = [2, 8].flatMap((k) => Array.from({ length: 1000 }, () => rng.randint(k)));
 * const adwin = new Adwin();
 * stream.forEach((x, i) => { if (adwin.update(x).driftDetected) console.log(i); });
 * // 1023
 * ```
 *
 * Reference: A. Bifet and R. Gavaldà, "Learning from time-changing data with adaptive
 * windowing", SIAM International Conference on Data Mining (SDM), 2007, pp. 443–448.
 */
import {
  type CommonOptions,
  type DetectorSnapshot,
  type SnapshotValue,
  type StreamingDetector,
  checkBoolean,
  checkInteger,
  checkKnownParams,
  checkOpenUnit,
  checkSnapshot,
  decodeNumber,
  decodeNumberArray,
  unitScore,
} from './detector';
import { DetectorBase } from './detector-base';
import { HomeostatError } from '../common/errors';

export interface AdwinParams extends CommonOptions {
  /** Confidence δ of the cut test, in (0, 1). Default 0.002. */
  readonly delta?: number;
  /** Test for a cut every `clock` updates. Default 32. */
  readonly clock?: number;
  /** Buckets kept per row before two are merged. Default 5. */
  readonly maxBuckets?: number;
  /** Smallest sub-window tested. Default 5. */
  readonly minWindowLength?: number;
  /** No test before the window holds more than this many values. Default 10. */
  readonly gracePeriod?: number;
}

const KNOWN = ['delta', 'clock', 'maxBuckets', 'minWindowLength', 'gracePeriod'] as const;
const NAME = 'adwin';
const ROW_GROWTH = 4;
/** Margin of the certified filter: far above the few-ulp rounding of either side (~1e-15). */
const TAU = 1e-12;
/** 2^i for every row index a window of up to 2^53 values can reach. */
const POW2 = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);
/** 2^−i: x / 2^i and x · 2^−i are the same correctly rounded real, so bucket means stay bit-identical. */
const INV_POW2 = Float64Array.from({ length: 64 }, (_, i) => 2 ** -i);

export class Adwin extends DetectorBase implements StreamingDetector {
  static readonly VERSION = 1;
  readonly name = NAME;
  readonly delta: number;
  readonly clock: number;
  readonly maxBuckets: number;
  readonly minWindowLength: number;
  readonly gracePeriod: number;
  readonly skipInvalid: boolean;

  /** Entries per row: max_buckets + 1, so a row can overflow by one before it is merged. */
  private readonly stride: number;
  private totals: Float64Array;
  private variances: Float64Array;
  private counts: Int32Array;
  /** Ring-buffer start of each row: the oldest bucket of row r is at r·stride + starts[r]. */
  private starts: Int32Array;
  private rows = 1;
  private total = 0;
  private variance = 0;
  private width = 0;
  private tick = 0;
  /** Updates left until the next cut test: tick % clock === 0 without a division per update. */
  private untilCheck: number;

  constructor(params: AdwinParams = {}) {
    super();
    checkKnownParams(NAME, params, KNOWN);
    this.delta = checkOpenUnit(NAME, 'delta', params.delta ?? 0.002);
    this.clock = checkInteger(NAME, 'clock', params.clock ?? 32, 1);
    this.maxBuckets = checkInteger(NAME, 'maxBuckets', params.maxBuckets ?? 5, 1);
    this.minWindowLength = checkInteger(NAME, 'minWindowLength', params.minWindowLength ?? 5, 0);
    this.gracePeriod = checkInteger(NAME, 'gracePeriod', params.gracePeriod ?? 10, 0);
    this.skipInvalid = checkBoolean(NAME, 'skipInvalid', params.skipInvalid ?? false);
    this.stride = this.maxBuckets + 1;
    this.totals = new Float64Array(ROW_GROWTH * this.stride);
    this.variances = new Float64Array(ROW_GROWTH * this.stride);
    this.counts = new Int32Array(ROW_GROWTH);
    this.starts = new Int32Array(ROW_GROWTH);
    this.untilCheck = this.clock;
  }

  /** Number of values in the current window. */
  get windowWidth(): number {
    return this.width;
  }

  /** Sum of the values in the current window. */
  get windowTotal(): number {
    return this.total;
  }

  /** Sum of squared deviations from the window mean (River's `ADWIN.variance`). */
  get windowVarianceSum(): number {
    return this.variance;
  }

  /** Mean of the current window (0 when empty). */
  get estimation(): number {
    return this.width === 0 ? 0 : this.total / this.width;
  }

  /** Variance of the values in the current window (sum of squared deviations / width). */
  get windowVariance(): number {
    return this.width === 0 ? 0 : this.variance / this.width;
  }

  /** Per class, not in the base: read on every update, a getter shared by all eight classes would go megamorphic. */
  get driftDetected(): boolean {
    return this.drift;
  }

  protected reset(): void {
    this.counts.fill(0);
    this.starts.fill(0);
    this.rows = 1;
    this.total = 0;
    this.variance = 0;
    this.width = 0;
    this.tick = 0;
    this.untilCheck = this.clock;
    this.clearFlags();
  }

  update(x: number): this {
    if (typeof x !== 'number' || x - x !== 0) return this.rejectInput(x);
    if (this.drift) this.reset();
    this.insert(x);
    this.tick += 1;
    if (--this.untilCheck === 0) {
      this.untilCheck = this.clock;
      if (this.width > this.gracePeriod) this.detect();
    }
    return this;
  }

  private insert(x: number): void {
    const c0 = this.counts[0];
    let slot = this.starts[0] + c0;
    if (slot >= this.stride) slot -= this.stride;
    this.totals[slot] = x;
    this.variances[slot] = 0;
    this.counts[0] = c0 + 1;

    // Welford step for the window variance; operation order fixed for reproducibility.
    const w = (this.width += 1);
    if (w > 1) {
      const d = x - this.total / (w - 1);
      this.variance += ((w - 1) * d * d) / w;
    }
    this.total += x;

    if (c0 + 1 === this.stride) this.compress();
  }

  /** Merges the two oldest buckets of each full row into the next row, cascading upwards. */
  private compress(): void {
    const stride = this.stride;
    let row = 0;
    for (;;) {
      const base = row * stride;
      const start = this.starts[row];
      const first = base + start;
      const second = start + 1 === stride ? base : first + 1;
      const inv = INV_POW2[row];
      const t0 = this.totals[first];
      const t1 = this.totals[second];
      const mu1 = t0 * inv;
      const mu2 = t1 * inv;
      const merged = this.variances[first] + this.variances[second] + POW2[row] * 0.5 * (mu1 - mu2) * (mu1 - mu2);

      if (row + 1 >= this.rows) this.addRow();
      const k = this.counts[row + 1];
      let slot = this.starts[row + 1] + k;
      if (slot >= stride) slot -= stride;
      this.totals[base + stride + slot] = t0 + t1;
      this.variances[base + stride + slot] = merged;
      this.counts[row + 1] = k + 1;
      this.drop(row, 2);

      if (k + 1 <= this.maxBuckets) return;
      row += 1;
    }
  }

  private addRow(): void {
    if (this.rows === this.counts.length) {
      const cap = this.counts.length + ROW_GROWTH;
      const totals = new Float64Array(cap * this.stride);
      totals.set(this.totals);
      const variances = new Float64Array(cap * this.stride);
      variances.set(this.variances);
      const counts = new Int32Array(cap);
      counts.set(this.counts);
      const starts = new Int32Array(cap);
      starts.set(this.starts);
      this.totals = totals;
      this.variances = variances;
      this.counts = counts;
      this.starts = starts;
    }
    this.counts[this.rows] = 0;
    this.starts[this.rows] = 0;
    this.rows += 1;
  }

  /** Drops the `n` oldest buckets of a row. */
  private drop(row: number, n: number): void {
    let start = this.starts[row] + n;
    if (start >= this.stride) start -= this.stride;
    this.starts[row] = start;
    this.counts[row] -= n;
  }

  /**
   * Removes the oldest bucket of the window (first bucket of the last row). With max_buckets = 1
   * a merge can leave rows empty, so empty rows at the top are dropped first (River 0.26.1
   * panics in that situation; everywhere else the two agree).
   */
  private removeOldest(): void {
    while (this.rows > 1 && this.counts[this.rows - 1] === 0) this.rows -= 1;
    const last = this.rows - 1;
    const n = POW2[last];
    const base = last * this.stride + this.starts[last];
    const u = this.totals[base];
    const v = this.variances[base];
    const mu = u * INV_POW2[last];
    this.width -= n;
    this.total -= u;
    const muWindow = this.total / this.width;
    this.variance -= v + (n * this.width * (mu - muWindow) * (mu - muWindow)) / (n + this.width);
    this.drop(last, 1);
    if (this.counts[last] === 0) this.rows -= 1;
  }

  private detect(): void {
    const stride = this.stride;
    const mwl = this.minWindowLength;
    let reduce = true;
    let score = 0;
    while (reduce) {
      reduce = false;
      score = 0;
      const width = this.width;
      // δ', (2/3)·δ' and V/W are constant during one pass over the buckets.
      const deltaPrime = Math.log((2.0 * Math.log(width)) / this.delta);
      const twoThirdsDeltaPrime = (2.0 / 3.0) * deltaPrime;
      const varianceRatio = this.variance / width;
      // Constants of the certified filter described in the file comment.
      const c1 = (1 - 4 * TAU) * 2.0 * varianceRatio * deltaPrime;
      const c2 = (1 - 4 * TAU) * twoThirdsDeltaPrime;
      // Cut with the largest gap relative to its variance term, scored exactly at the end.
      let bestNum = 0;
      let bestDen = 1;
      let bn0 = 0;
      let bn1 = 0;
      let bu0 = 0;
      let bu1 = 0;
      let n0 = 0;
      let n1 = width;
      let u0 = 0;
      let u1 = this.total;
      scan: for (let row = this.rows - 1; row >= 0; row--) {
        const size = POW2[row];
        const count = this.counts[row];
        const base = row * stride;
        const wrap = base + stride;
        let slot = base + this.starts[row];
        for (let k = 0; k < count; k++) {
          n0 += size;
          n1 -= size;
          const t = this.totals[slot];
          if (++slot === wrap) slot = base;
          u0 += t;
          u1 -= t;
          if (row === 0 && k === count - 1) break scan;
          if (n1 >= mwl && n0 >= mwl) {
            const a = n0 - mwl + 1.0;
            const b = n1 - mwl + 1.0;
            const ab = a * b;
            const apb = a + b;
            const nn = n0 * n1;
            // Division-free bound: n0·n1·|μ0 − μ1| ≤ gUp, whatever the rounding of the exact test.
            const d = u0 * n1 - u1 * n0;
            const gUp = (d < 0 ? -d : d) * (1 + TAU) + TAU * ((u0 < 0 ? -u0 : u0) * n1 + (u1 < 0 ? -u1 : u1) * n0);
            const num = gUp * gUp * ab;
            const den = apb * nn * nn;
            if (gUp * ab <= c2 * apb * nn || num <= c1 * den) {
              if (num * bestDen > bestNum * den) {
                bestNum = num;
                bestDen = den;
                bn0 = n0;
                bn1 = n1;
                bu0 = u0;
                bu1 = u1;
              }
              continue;
            }
            // The reference test, in the reference's operation order.
            const diff = u0 / n0 - u1 / n1;
            const m = 1.0 / (n0 - mwl + 1.0) + 1.0 / (n1 - mwl + 1.0);
            const epsilon = Math.sqrt(2.0 * m * varianceRatio * deltaPrime) + twoThirdsDeltaPrime * m;
            const gap = diff < 0 ? -diff : diff;
            if (gap > epsilon) {
              reduce = true;
              this.drift = true;
              if (this.width > 0) {
                this.removeOldest();
                break scan;
              }
            } else if (gap > score * epsilon) {
              score = gap / epsilon;
            }
          }
        }
      }
      if (!reduce && bestNum > 0) {
        const diff = bu0 / bn0 - bu1 / bn1;
        const m = 1.0 / (bn0 - mwl + 1.0) + 1.0 / (bn1 - mwl + 1.0);
        const ratio = (diff < 0 ? -diff : diff) / (Math.sqrt(2.0 * m * varianceRatio * deltaPrime) + twoThirdsDeltaPrime * m);
        if (ratio > score) score = ratio;
      }
    }
    this.lastScore = this.drift ? 1 : unitScore(score);
  }

  snapshot(): DetectorSnapshot {
    const rows: SnapshotValue[] = [];
    for (let r = 0; r < this.rows; r++) {
      const base = r * this.stride;
      const totals: number[] = [];
      const variances: number[] = [];
      for (let k = 0, slot = this.starts[r]; k < this.counts[r]; k++, slot = slot + 1 === this.stride ? 0 : slot + 1) {
        totals.push(this.totals[base + slot]);
        variances.push(this.variances[base + slot]);
      }
      rows.push({ totals, variances });
    }
    return {
      type: NAME,
      version: Adwin.VERSION,
      params: {
        delta: this.delta,
        clock: this.clock,
        maxBuckets: this.maxBuckets,
        minWindowLength: this.minWindowLength,
        gracePeriod: this.gracePeriod,
        skipInvalid: this.skipInvalid,
      },
      state: {
        rows,
        total: this.total,
        variance: this.variance,
        width: this.width,
        tick: this.tick,
        ...this.flagState(),
      },
    };
  }

  static fromSnapshot(snapshot: DetectorSnapshot): Adwin {
    const { params, state } = checkSnapshot(snapshot, NAME, Adwin.VERSION);
    const d = new Adwin(params as AdwinParams);
    const rows = state.rows;
    if (!Array.isArray(rows) || rows.length === 0) {
      throw new HomeostatError('HS_SNAPSHOT_MISMATCH', 'adwin snapshot: state.rows must be a non-empty array');
    }
    while (d.rows < rows.length) d.addRow();
    rows.forEach((raw, r) => {
      const row = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as { [k: string]: SnapshotValue };
      const totals = decodeNumberArray(row.totals, `state.rows[${r}].totals`);
      const variances = decodeNumberArray(row.variances, `state.rows[${r}].variances`);
      if (totals.length !== variances.length || totals.length > d.maxBuckets) {
        throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `adwin snapshot: row ${r} must hold at most ${d.maxBuckets} buckets with a total and a variance each`);
      }
      d.totals.set(totals, r * d.stride);
      d.variances.set(variances, r * d.stride);
      d.counts[r] = totals.length;
    });
    d.total = decodeNumber(state.total, 'state.total');
    d.variance = decodeNumber(state.variance, 'state.variance');
    d.width = decodeNumber(state.width, 'state.width');
    d.tick = decodeNumber(state.tick, 'state.tick');
    d.untilCheck = d.clock - (d.tick % d.clock);
    d.restoreFlags(state);
    return d;
  }
}
