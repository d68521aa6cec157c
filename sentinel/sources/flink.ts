/**
 * Flink as a telemetry source: one poll of a stage's job through the REST API becomes telemetry
 * records of the usual schema (sentinel/telemetry.ts), so the sentinel's detectors and hard-fault
 * events treat a Flink job like any other component.
 *
 * Metrics: `flink.restarts`, `flink.checkpoints.failed`, `flink.checkpoint.duration_ms` (latest
 * completed, end to end), `flink.checkpoint.age_ms`, per vertex (label `vertex`)
 * `flink.busy_ms_per_s` and `flink.backpressured_ms_per_s` (the worst subtask), `throughput`
 * (records/s leaving the source), `records_in` / `records_out` (totals at the sink / source),
 * `watermark_lag_ms` (now − the lowest input watermark), and `lag` (the Kafka source's
 * `pendingRecords`: records in the topic not yet read). Events: `FAILED` when the job is FAILED,
 * `RESTARTED` when its restart count rose since the last poll, `STARTED` when it runs again.
 */
import type { FlinkBinding } from '../../bindings/flink';
import type { TelemetryRecord } from '../telemetry';

export interface FlinkSourceOptions {
  pipeline: string;
  /** The component the job is in the pipeline (e.g. `enrich`). */
  component: string;
}

const VERTEX_METRICS = ['busyTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'numRecordsOutPerSecond', 'currentInputWatermark'];

/** Keeps what the previous poll saw, so events are sent once per change. */
export class FlinkSource {
  private lastRestarts: number | undefined;
  private lastState: string | undefined;

  constructor(private readonly binding: FlinkBinding, private readonly options: FlinkSourceOptions) {}

  async poll(now = Date.now()): Promise<TelemetryRecord[]> {
    const job = await this.binding.currentJob();
    if (!job) return [];
    const base = { v: 1 as const, ts: now, pipeline: this.options.pipeline, component: this.options.component, labels: { job: job.jid } };
    const metric = (signal: string, value: number, unit?: string, labels: Record<string, string> = {}): TelemetryRecord => ({
      ...base,
      labels: { ...base.labels, ...labels },
      kind: 'metric',
      signal,
      value: Number.isFinite(value) ? value : 0,
      ...(unit ? { unit } : {}),
    });
    const out: TelemetryRecord[] = [];
    const status = await this.binding.status(job.jid);
    if (status.state === 'FAILED' && this.lastState !== 'FAILED') {
      const ex = (await this.binding.rest.exceptions(job.jid).catch(() => []))[0];
      out.push({ ...base, kind: 'event', signal: 'process', event: 'FAILED', message: `Flink job ${job.name} FAILED after ${status.restarts} restarts${ex ? `: ${ex.trace.split('\n')[0]}` : ''}`.slice(0, 4096) });
    }
    if (this.lastRestarts !== undefined && status.restarts > this.lastRestarts) {
      out.push({ ...base, kind: 'event', signal: 'process', event: 'RESTARTED', message: `Flink job ${job.name} restarted (${status.restarts} restarts)` });
    }
    if (status.state === 'RUNNING' && this.lastState !== undefined && this.lastState !== 'RUNNING') {
      out.push({ ...base, kind: 'event', signal: 'process', event: 'STARTED', message: `Flink job ${job.name} RUNNING` });
    }
    this.lastRestarts = status.restarts;
    this.lastState = status.state;
    out.push(metric('flink.restarts', status.restarts), metric('flink.checkpoints.failed', status.checkpoints.failed));
    const ckpts = await this.binding.rest.checkpoints(job.jid);
    const latest = ckpts.latest.completed;
    if (latest?.end_to_end_duration !== undefined) out.push(metric('flink.checkpoint.duration_ms', latest.end_to_end_duration, 'ms'));
    if (latest?.latest_ack_timestamp) out.push(metric('flink.checkpoint.age_ms', now - latest.latest_ack_timestamp, 'ms'));
    if (status.state !== 'RUNNING') return out;

    const detail = await this.binding.rest.job(job.jid);
    const source = detail.vertices[0];
    const sink = detail.vertices[detail.vertices.length - 1];
    const total = (v: typeof source | undefined, key: string): number => Number((v?.metrics as Record<string, unknown> | undefined)?.[key] ?? 0);
    out.push(metric('records_in', total(source, 'write-records')), metric('records_out', total(sink, 'read-records')));
    let lowestWatermark = Number.POSITIVE_INFINITY;
    for (const v of detail.vertices) {
      // One metric per call: a vertex lacking one of them must not hide the others.
      const m: Record<string, { sum?: number; max?: number; min?: number }> = {};
      for (const name of VERTEX_METRICS) Object.assign(m, await this.binding.rest.vertexMetrics(job.jid, v.id, [name]).catch(() => ({})));
      const vertex = v.name.slice(0, 128);
      if (m.busyTimeMsPerSecond?.max !== undefined) out.push(metric('flink.busy_ms_per_s', m.busyTimeMsPerSecond.max, 'ms/s', { vertex }));
      if (m.backPressuredTimeMsPerSecond?.max !== undefined) out.push(metric('flink.backpressured_ms_per_s', m.backPressuredTimeMsPerSecond.max, 'ms/s', { vertex }));
      if (v === source && m.numRecordsOutPerSecond?.sum !== undefined) out.push(metric('throughput', m.numRecordsOutPerSecond.sum, 'records/s'));
      const wm = m.currentInputWatermark?.min;
      // Long.MIN_VALUE before the first watermark: nothing to measure yet.
      if (v !== source && wm !== undefined && wm > 0) lowestWatermark = Math.min(lowestWatermark, wm);
    }
    if (Number.isFinite(lowestWatermark)) out.push(metric('watermark_lag_ms', Math.max(0, now - lowestWatermark), 'ms'));
    const pending = await this.pendingRecords(job.jid, source.id);
    if (pending !== undefined) out.push(metric('lag', pending, 'records'));
    return out;
  }

  /** The Kafka source reader's `pendingRecords` (its full metric id names the operator). */
  private async pendingRecords(jobId: string, vertexId: string): Promise<number | undefined> {
    const rest = this.binding.rest;
    const res = await fetch(`${rest.url}/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (!res?.ok) return undefined;
    const ids = ((await res.json()) as { id: string }[]).map((r) => r.id).filter((id) => id.endsWith('.pendingRecords'));
    if (ids.length === 0) return undefined;
    const m = await rest.vertexMetrics(jobId, vertexId, ids);
    return ids.reduce((n, id) => n + (m[id]?.sum ?? 0), 0);
  }
}
