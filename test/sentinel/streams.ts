/** Deterministic telemetry streams for the sentinel tests: steady noise with a step at a chosen index. */
import type { TelemetryRecord } from '../../sentinel/telemetry';

/**
 * Record time the test streams start at: an hour before the test run, on a whole second, so every
 * stream lies inside the sentinel's default time window (5 min ahead, 24 h behind its clock).
 */
export const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

/** Park–Miller LCG: same sequence on every run and machine. */
export function lcg(seed: number): () => number {
  let s = seed % 2147483647;
  if (s <= 0) s += 2147483646;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

export interface StreamSpec {
  pipeline: string;
  component: string;
  signal?: string;
  n: number;
  /** Index from which the mean jumps by `shift` (never when omitted). */
  stepAt?: number;
  shift?: number;
  seed?: number;
  t0?: number;
  /** Milliseconds between samples (record time). */
  dtMs?: number;
}

export function metricStream(spec: StreamSpec): TelemetryRecord[] {
  const rnd = lcg(spec.seed ?? 7);
  const t0 = spec.t0 ?? T0;
  const out: TelemetryRecord[] = [];
  for (let i = 0; i < spec.n; i++) {
    const noise = (rnd() + rnd() + rnd() - 1.5) * 2; // ~N(0, 1)
    const level = spec.stepAt !== undefined && i >= spec.stepAt ? (spec.shift ?? 10) : 0;
    out.push({
      kind: 'metric',
      v: 1,
      ts: t0 + i * (spec.dtMs ?? 100),
      pipeline: spec.pipeline,
      component: spec.component,
      signal: spec.signal ?? 'latency',
      value: 100 + level + noise,
    });
  }
  return out;
}

/** Interleaves streams round-robin (the order a shared topic would see them in). */
export function interleave(...streams: TelemetryRecord[][]): TelemetryRecord[] {
  const out: TelemetryRecord[] = [];
  const max = Math.max(...streams.map((s) => s.length));
  for (let i = 0; i < max; i++) for (const s of streams) if (i < s.length) out.push(s[i]);
  return out;
}
