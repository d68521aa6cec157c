/**
 * Freshness check: how long since the newest data arrived, against the maximum age the pipeline's
 * SLO allows. Age 0 scores 0, age = maxAge scores 0.5, twice that 0.67 — a stall keeps climbing.
 */
import { type QualityResult, invalid, limitScore, positive } from './common';

export interface FreshnessInput {
  /** Event time of the newest record, epoch ms. */
  lastEventTime: number;
  /** Now, epoch ms (passed in so the check is deterministic and testable). */
  now: number;
  /** Maximum tolerated age, ms. */
  maxAgeMs: number;
  source?: string;
}

export function freshnessCheck(input: FreshnessInput): QualityResult {
  const maxAge = positive('freshness', 'maxAgeMs', input.maxAgeMs);
  if (!Number.isFinite(input.lastEventTime) || !Number.isFinite(input.now)) {
    throw invalid('freshness', `lastEventTime and now must be finite epoch ms, got ${input.lastEventTime} and ${input.now}`);
  }
  // Clock skew can put the newest event slightly in the future; that is fresh, not negative age.
  const age = Math.max(0, input.now - input.lastEventTime);
  const src = input.source ? `${input.source}: ` : '';
  return {
    check: 'freshness',
    value: age,
    score: limitScore(age, maxAge),
    violated: age >= maxAge,
    reason: `${src}newest data is ${(age / 1000).toFixed(1)} s old (limit ${(maxAge / 1000).toFixed(1)} s)`,
  };
}
