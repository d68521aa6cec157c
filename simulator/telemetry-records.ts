/**
 * What the pipeline says about itself (`SimSignal`), and its translation into the sentinel's
 * telemetry record schema (sentinel/telemetry.ts). Keeping the translation in one function means
 * a change of the sentinel's schema touches one file; the compiler checks the shapes and a test
 * validates emitted records with the sentinel's zod schema.
 */
import type { EventRecord, TelemetryRecord } from '../sentinel/telemetry';
import type { DataProfile } from './profile';

export type MetricName =
  | 'throughput'
  | 'latency_ms'
  | 'lag'
  | 'errors'
  | 'heartbeat'
  | 'rss_mb'
  | 'heap_used_mb'
  | 'quarantined'
  | 'shed';

export type ProcessEventName = 'started' | 'exited' | 'crashed' | 'oom-killed' | 'unresponsive' | 'stalled' | 'stopped';

export type SimSignal =
  | { kind: 'metric'; name: MetricName; value: number; unit?: string }
  | { kind: 'process'; event: ProcessEventName; pid?: number; exitCode?: number | null; signal?: string | null; reason?: string }
  | { kind: 'profile'; stage: 'output' | 'input'; profile: DataProfile; schemaVersion?: number }
  | { kind: 'schema'; fingerprint: string; version: number; fields: Record<string, string> }
  | { kind: 'model-error'; error: 0 | 1; modelVersion: string; eventId: string }
  | { kind: 'model-metric'; name: 'accuracy'; value: number; window: number; modelVersion: string };

export interface TelemetrySource {
  component: string;
  instance: string;
}

const PROCESS_EVENT: Record<ProcessEventName, EventRecord['event']> = {
  started: 'STARTED',
  exited: 'EXITED',
  stopped: 'EXITED',
  crashed: 'CRASHED',
  'oom-killed': 'OOMKilled',
  unresponsive: 'HUNG',
  stalled: 'STALLED',
};

/** One SimSignal as a telemetry record of the sentinel's schema (sentinel/telemetry.ts, v1). */
export function buildRecord(pipeline: string, source: TelemetrySource, s: SimSignal, now: number): TelemetryRecord {
  const base = { v: 1 as const, ts: now, pipeline, component: source.component, labels: { instance: source.instance } };
  switch (s.kind) {
    case 'metric':
      return { ...base, kind: 'metric', signal: s.name, value: Number.isFinite(s.value) ? s.value : 0, ...(s.unit ? { unit: s.unit } : {}) };
    case 'process': {
      const message = [s.event === 'stopped' ? 'stopped on request' : undefined, s.reason].filter(Boolean).join(': ');
      return {
        ...base,
        kind: 'event',
        signal: 'process',
        event: PROCESS_EVENT[s.event],
        ...(typeof s.exitCode === 'number' ? { exitCode: s.exitCode } : {}),
        ...(s.signal ? { osSignal: s.signal } : {}),
        ...(s.pid !== undefined ? { pid: s.pid } : {}),
        ...(message ? { message: message.slice(0, 4096) } : {}),
      };
    }
    case 'profile': {
      const p = s.profile;
      const ranges: Record<string, { min: number; max: number }> = {};
      const means: Record<string, number> = {};
      for (const [f, r] of Object.entries(p.ranges)) {
        ranges[f] = { min: r.min, max: r.max };
        means[f] = r.mean;
      }
      return {
        ...base,
        kind: 'profile',
        signal: `profile.${s.stage}`,
        count: p.rows,
        schemaFingerprint: p.schemaFingerprint,
        nullRates: p.nullRates,
        ranges,
        means,
        histograms: p.histograms,
        ...(s.schemaVersion !== undefined ? { labels: { ...base.labels, schemaVersion: String(s.schemaVersion) } } : {}),
      };
    }
    case 'schema':
      return { ...base, kind: 'schema', signal: 'schema', fingerprint: s.fingerprint, version: s.version, fields: Object.entries(s.fields).map(([name, type]) => ({ name, type })) };
    case 'model-error':
      return { ...base, kind: 'model', signal: 'model.error', modelVersion: s.modelVersion, error: s.error };
    case 'model-metric':
      return { ...base, kind: 'model', signal: `model.${s.name}`, modelVersion: s.modelVersion, accuracy: Math.min(1, Math.max(0, s.value)), n: s.window };
  }
}
