/**
 * Volume check: records in the latest interval against what is normal, in either direction (a
 * drop means lost data, a surge duplicates or a runaway producer).
 *
 * With `history` (counts of past healthy intervals) the deviation is robust:
 * d = |count − median| / (1.4826 · MAD), limit `zLimit` (default 4) — one odd interval in the
 * history does not move the yardstick. Without history, `expected` and a relative `tolerance`
 * (default 0.5) are used: d = |count − expected| / expected.
 */
import { type QualityResult, invalid, limitScore, positive } from './common';

export interface VolumeOptions {
  history?: readonly number[];
  zLimit?: number;
  expected?: number;
  tolerance?: number;
  source?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

export function volumeCheck(count: number, opts: VolumeOptions): QualityResult {
  if (!(Number.isFinite(count) && count >= 0)) throw invalid('volume', `count must be a finite number ≥ 0, got ${count}`);
  const src = opts.source ? `${opts.source}: ` : '';
  if (opts.history && opts.history.length > 0) {
    const zLimit = positive('volume', 'zLimit', opts.zLimit ?? 4);
    const hist = [...opts.history];
    if (hist.some((h) => !(Number.isFinite(h) && h >= 0))) throw invalid('volume', 'history must hold finite counts ≥ 0');
    const med = median(hist);
    // A perfectly regular history has MAD 0; fall back to a Poisson-like spread so d stays finite.
    const mad = median(hist.map((h) => Math.abs(h - med)));
    const scale = Math.max(1.4826 * mad, Math.sqrt(Math.max(med, 1)));
    const d = Math.abs(count - med) / scale;
    return {
      check: 'volume',
      value: d,
      score: limitScore(d, zLimit),
      violated: d >= zLimit,
      reason: `${src}${count} records vs median ${med} of ${hist.length} intervals (robust z = ${d.toFixed(1)}, limit ${zLimit})`,
    };
  }
  if (opts.expected === undefined) throw invalid('volume', 'give either history or expected');
  const expected = positive('volume', 'expected', opts.expected);
  const tolerance = positive('volume', 'tolerance', opts.tolerance ?? 0.5);
  const d = Math.abs(count - expected) / expected;
  return {
    check: 'volume',
    value: d,
    score: limitScore(d, tolerance),
    violated: d >= tolerance,
    reason: `${src}${count} records vs ${expected} expected (${count < expected ? '−' : '+'}${(100 * d).toFixed(0)}%, tolerance ±${(100 * tolerance).toFixed(0)}%)`,
  };
}
