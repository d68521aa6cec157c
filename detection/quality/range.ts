/**
 * Range check: the share of values outside [min, max] (non-finite numbers count as outside)
 * against a tolerated share (default 0.001, so one stray value in a batch of 100 already scores
 * ≈ 0.91 while one in 10,000 stays at 0.09).
 */
import { type QualityResult, invalid, limitScore, pct, positive } from './common';

export interface RangeOptions {
  min?: number;
  max?: number;
  tolerance?: number;
  field?: string;
}

export function rangeCheck(values: ArrayLike<number>, opts: RangeOptions): QualityResult {
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  if (!(min <= max)) throw invalid('range', `min (${min}) must be ≤ max (${max})`);
  const tolerance = positive('range', 'tolerance', opts.tolerance ?? 0.001);
  if (values.length === 0) throw invalid('range', 'batch is empty');
  let out = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(typeof v === 'number' && Number.isFinite(v)) || v < min || v > max) out++;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const rate = out / values.length;
  const field = opts.field ? `${opts.field}: ` : '';
  return {
    check: 'range',
    value: rate,
    score: limitScore(rate, tolerance),
    violated: rate > 0 && rate >= tolerance,
    reason: `${field}${out} of ${values.length} values (${pct(rate)}) outside [${min}, ${max}]; observed [${lo}, ${hi}]`,
  };
}
