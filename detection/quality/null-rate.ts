/**
 * Null-rate check: the share of missing values (null, undefined, NaN) in a batch against a limit,
 * and — when the healthy rate is known — against that baseline with a one-sided binomial z-test,
 * so a field that is normally 0.1 % null alarms at 2 % even under a 5 % absolute limit.
 */
import { type QualityResult, invalid, limitScore, pct, positive } from './common';

export interface NullRateOptions {
  /** Absolute limit on the null share. Default 0.05. */
  maxRate?: number;
  /** Healthy null share, if known. */
  baselineRate?: number;
  /** z at which the excess over the baseline is a violation. Default 4. */
  zLimit?: number;
  field?: string;
}

export function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

export function nullRateCheck(batch: readonly unknown[] | { nulls: number; total: number }, opts: NullRateOptions = {}): QualityResult {
  const maxRate = positive('null-rate', 'maxRate', opts.maxRate ?? 0.05);
  const zLimit = positive('null-rate', 'zLimit', opts.zLimit ?? 4);
  let nulls: number;
  let total: number;
  if (Array.isArray(batch)) {
    total = batch.length;
    nulls = (batch as readonly unknown[]).filter(isMissing).length;
  } else {
    ({ nulls, total } = batch as { nulls: number; total: number });
  }
  if (!(Number.isInteger(total) && total > 0 && Number.isInteger(nulls) && nulls >= 0 && nulls <= total)) {
    throw invalid('null-rate', `need integers 0 ≤ nulls ≤ total, total > 0; got nulls=${nulls}, total=${total}`);
  }
  const rate = nulls / total;
  const field = opts.field ? `${opts.field}: ` : '';
  let score = limitScore(rate, maxRate);
  let reason = `${field}null rate ${pct(rate)} of ${total} values (limit ${pct(maxRate)})`;
  const b = opts.baselineRate;
  if (b !== undefined) {
    if (!(b >= 0 && b < 1)) throw invalid('null-rate', `baselineRate must be in [0, 1), got ${b}`);
    // A baseline of exactly 0 would make any single null infinitely significant; floor it.
    const p0 = Math.max(b, 0.5 / total);
    const z = (rate - p0) / Math.sqrt((p0 * (1 - p0)) / total);
    const zs = limitScore(z, zLimit);
    if (zs > score) {
      score = zs;
      reason = `${field}null rate ${pct(rate)} of ${total} values vs baseline ${pct(b)} (z = ${z.toFixed(1)}, limit ${zLimit})`;
    }
  }
  return { check: 'null-rate', value: rate, score, violated: score >= 0.5, reason };
}
