/**
 * What the pipeline says about itself (`SimSignal`), and its translation into the sentinel's
 * telemetry record schema. Keeping the translation in one function means a change of the
 * sentinel's schema touches one file.
 */
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

export type ProcessEventName = 'started' | 'exited' | 'crashed' | 'oom-killed' | 'unresponsive' | 'stopped';

export type SimSignal =
  | { kind: 'metric'; name: MetricName; value: number; unit?: string }
  | { kind: 'process'; event: ProcessEventName; pid?: number; exitCode?: number | null; signal?: string | null; reason?: string }
  | { kind: 'profile'; stage: 'output' | 'input'; profile: DataProfile; schemaVersion?: number }
  | { kind: 'model-error'; error: 0 | 1; modelVersion: string; eventId: string }
  | { kind: 'model-metric'; name: 'accuracy'; value: number; window: number; modelVersion: string };

export interface TelemetrySource {
  component: string;
  instance: string;
}

export function buildRecord(pipeline: string, source: TelemetrySource, s: SimSignal, now: number): Record<string, unknown> {
  const base = { v: 1, pipeline, component: source.component, instance: source.instance, ts: now };
  switch (s.kind) {
    case 'metric':
      return { ...base, kind: 'metric', signal: s.name, value: s.value, unit: s.unit };
    case 'process':
      return { ...base, kind: 'process-event', signal: 'process', event: s.event, pid: s.pid, exitCode: s.exitCode, exitSignal: s.signal, reason: s.reason };
    case 'profile':
      return { ...base, kind: 'data-profile', signal: `profile.${s.stage}`, schemaVersion: s.schemaVersion, ...s.profile };
    case 'model-error':
      return { ...base, kind: 'model-error', signal: 'model.error', error: s.error, modelVersion: s.modelVersion, eventId: s.eventId };
    case 'model-metric':
      return { ...base, kind: 'model-metric', signal: `model.${s.name}`, value: s.value, window: s.window, modelVersion: s.modelVersion };
  }
}
