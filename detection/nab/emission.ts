/**
 * The emission gate of the NAB configurations: turns a per-row fused score into the score NAB
 * scores, so that one event gives one detection whatever threshold the corpus-wide sweep picks.
 *
 * NAB counts only the first detection inside a window, but every detection outside one costs.
 * So, per row r with fused score s:
 *  - nothing is emitted before `warmup` rows;
 *  - within `suppressRows` of the last emission only a *higher* score is emitted (a burst of rows
 *    crosses any threshold at most once per new high, instead of once per row);
 *  - an emission that the last `emitMemory` emissions of the same stream mostly beat is discounted
 *    by up to `emitDiscount`: an event smaller than what this stream often does is less news;
 *  - optionally (`realertMargin`), a re-alert within the span must beat the last emission by that
 *    fraction, not just by any amount: a burst that keeps creeping up block by block is one event;
 *  - optionally (`peakRows`, `peakDiscount`), an emission whose score does not top every score of
 *    the previous `peakRows` rows (emitted or not) is scaled by 1 − `peakDiscount`: a level the
 *    stream already reached moments ago is no new event.
 * Strictly online: the gate only remembers its own past inputs and emissions.
 */
import { SlidingRank } from './sliding-rank';

export interface EmissionGateParams {
  /** Rows from the start of a stream during which nothing is emitted. */
  warmup: number;
  suppressRows: number;
  emitMemory: number;
  emitDiscount: number;
  /** Within `suppressRows` a re-alert needs a score above last · (1 + realertMargin) (default 0). */
  realertMargin?: number;
  /** Rows whose highest score an emission must top to escape `peakDiscount` (default 0: off). */
  peakRows?: number;
  /** Fraction an emission loses when it does not top the previous `peakRows` scores (default 0). */
  peakDiscount?: number;
}

export class EmissionGate {
  private readonly p: EmissionGateParams;
  private readonly emitted: SlidingRank;
  private lastRow = -Infinity;
  private lastValue = 0;
  // Monotone queue of the rows of the last `peakRows` inputs, scores decreasing from the head.
  private readonly peakRow: number[] = [];
  private readonly peakScore: number[] = [];
  private peakHead = 0;

  constructor(params: EmissionGateParams) {
    this.p = params;
    this.emitted = new SlidingRank(Math.max(1, params.emitMemory));
  }

  /** The score to emit for row `r` (rows in increasing order) whose fused score is `s`. */
  emit(r: number, s: number): number {
    const p = this.p;
    const recentPeak = this.recentPeak(r, s);
    if (r < p.warmup) return 0;
    if (r - this.lastRow <= p.suppressRows && s <= this.lastValue * (1 + (p.realertMargin ?? 0))) return 0;
    this.lastRow = r;
    this.lastValue = s;
    const peak = recentPeak >= s ? 1 - (p.peakDiscount ?? 0) : 1;
    if (p.emitMemory === 0) return s * peak;
    const beaten = this.emitted.size > 0 ? 1 - this.emitted.cdfBelow(s) : 0;
    this.emitted.push(s);
    return s * (1 - p.emitDiscount * beaten) * peak;
  }

  /** Highest score of the `peakRows` rows before `r` (−∞ when off or none), then remembers `s`. */
  private recentPeak(r: number, s: number): number {
    const k = this.p.peakRows ?? 0;
    if (!(k > 0)) return Number.NEGATIVE_INFINITY;
    const rows = this.peakRow;
    const vals = this.peakScore;
    while (this.peakHead < rows.length && rows[this.peakHead] < r - k) this.peakHead++;
    const peak = this.peakHead < rows.length ? vals[this.peakHead] : Number.NEGATIVE_INFINITY;
    while (rows.length > this.peakHead && vals[vals.length - 1] <= s) {
      rows.pop();
      vals.pop();
    }
    rows.push(r);
    vals.push(s);
    // Drop the consumed head now and then so the arrays stay as small as the window.
    if (this.peakHead > 1024 && this.peakHead * 2 > rows.length) {
      rows.splice(0, this.peakHead);
      vals.splice(0, this.peakHead);
      this.peakHead = 0;
    }
    return peak;
  }
}
