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
 *    by up to `emitDiscount`: an event smaller than what this stream often does is less news.
 * Strictly online: the gate only remembers its own past emissions.
 */
import { SlidingRank } from './sliding-rank';

export interface EmissionGateParams {
  /** Rows from the start of a stream during which nothing is emitted. */
  warmup: number;
  suppressRows: number;
  emitMemory: number;
  emitDiscount: number;
}

export class EmissionGate {
  private readonly p: EmissionGateParams;
  private readonly emitted: SlidingRank;
  private lastRow = -Infinity;
  private lastValue = 0;

  constructor(params: EmissionGateParams) {
    this.p = params;
    this.emitted = new SlidingRank(Math.max(1, params.emitMemory));
  }

  /** The score to emit for row `r` (rows in increasing order) whose fused score is `s`. */
  emit(r: number, s: number): number {
    const p = this.p;
    if (r < p.warmup) return 0;
    if (r - this.lastRow <= p.suppressRows && s <= this.lastValue) return 0;
    this.lastRow = r;
    this.lastValue = s;
    if (p.emitMemory === 0) return s;
    const beaten = this.emitted.size > 0 ? 1 - this.emitted.cdfBelow(s) : 0;
    this.emitted.push(s);
    return s * (1 - p.emitDiscount * beaten);
  }
}
