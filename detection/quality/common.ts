/**
 * Shared shape of the data-quality checks. Each check returns a standardised score in [0, 1] on
 * the same scale as the window tests — score = v/(v + limit), so exactly 0.5 at the configured
 * limit and `violated ⇔ score ≥ 0.5` — plus a reason string an operator can read in the incident.
 */
import { HomeostatError } from '../../common/errors';

export const QUALITY_CHECKS = ['schema', 'null-rate', 'range', 'freshness', 'volume'] as const;
export type QualityCheckName = (typeof QUALITY_CHECKS)[number];

export interface QualityResult {
  check: QualityCheckName;
  /** The measured quantity (rate, age in ms, relative or robust deviation, …). */
  value: number;
  /** Standardised anomaly score in [0, 1]; 0.5 exactly at the limit. */
  score: number;
  violated: boolean;
  /** One sentence saying what was measured against what. */
  reason: string;
}

export function invalid(check: QualityCheckName, message: string): HomeostatError {
  return new HomeostatError('HS_INVALID_INPUT', `${check}: ${message}`);
}

export function positive(check: QualityCheckName, name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw invalid(check, `${name} must be a finite number > 0, got ${v}`);
  return v;
}

export function limitScore(value: number, limit: number): number {
  if (!(value > 0)) return 0;
  if (!Number.isFinite(value)) return 1;
  return value / (value + limit);
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`;
}
