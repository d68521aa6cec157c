/**
 * Getting telemetry into the sentinel's topic. Any source that turns something into telemetry —
 * the command line, a Prometheus or Kubernetes watcher, a test — publishes here, and the sentinel
 * reads it like every other message (see `Engine.ingest`): the log is what makes a record part of
 * the exact, replayable state.
 *
 * Messages are keyed by pipeline, so a pipeline's telemetry stays on one partition and one
 * sentinel. Raw messages (bytes that may not be telemetry at all, for trying out bad input) are
 * keyed by the pipeline they name when they parse far enough to name one.
 */
import type { AppendResult, Log } from '../bindings/log';
import type { TelemetryRecord } from './telemetry';

/** The pipeline a message names: its record's, or its first element's (a batch); null when it names none. */
export function pipelineOf(message: Buffer | string): string | null {
  let v: unknown;
  try {
    v = JSON.parse(typeof message === 'string' ? message : message.toString('utf8'));
  } catch {
    return null;
  }
  const first: unknown = Array.isArray(v) ? v[0] : v;
  const p = typeof first === 'object' && first !== null ? (first as { pipeline?: unknown }).pipeline : undefined;
  return typeof p === 'string' && p.length > 0 ? p : null;
}

/** Publishes records, one message each, keyed by pipeline. */
export function publishTelemetry(log: Log, topic: string, records: readonly TelemetryRecord[]): Promise<AppendResult[]> {
  return log.append(
    topic,
    records.map((r) => ({ key: r.pipeline, value: JSON.stringify(r) })),
  );
}

/** Publishes messages exactly as given (one record, a batch, or anything at all), keyed by the pipeline they name. */
export function publishRaw(log: Log, topic: string, messages: readonly Buffer[]): Promise<AppendResult[]> {
  return log.append(
    topic,
    messages.map((value) => ({ key: pipelineOf(value), value })),
  );
}
