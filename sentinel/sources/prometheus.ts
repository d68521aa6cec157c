/**
 * The Prometheus telemetry source: evaluates each pipeline's PromQL expressions on an interval
 * through the HTTP API (`/api/v1/query`) and publishes what they return as telemetry records to
 * the telemetry topic, keyed by pipeline — the sentinel then validates, dead-letters, detects and
 * snapshots them like any other telemetry. Nothing here calls detectors directly.
 *
 * Gaps and staleness: Prometheus drops a series from instant queries as soon as its target stops
 * answering (staleness markers) or after its lookback; a value that is not a finite number (a
 * rate over no samples) is skipped. A round where Prometheus does not answer publishes nothing
 * and starts no absence clock — an outage of Prometheus is not an outage of the pipeline. A
 * component that a query used to report and that has had no series for `absent.afterMs` of
 * answered rounds gets one event record: it stopped reporting.
 */
import type { Registry } from 'prom-client';
import type { Log } from '../../bindings/log/types';
import { mirroredCounter } from '../metrics';
import type { TelemetryRecord } from '../telemetry';
import type { PrometheusSourceConfig, PromQuery } from './prometheus-config';
import { publishRound, PullSource } from './rounds';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusSourceStats {
  rounds: number;
  /** Query evaluations that failed (Prometheus unreachable, bad expression, timeout). */
  failures: number;
  records: number;
  /** Samples skipped because their value was not a finite number. */
  skipped: number;
  absences: number;
  lastError: string | null;
}

/** `/api/v1/query` at `time`: an instant vector (or scalar) as samples. */
export async function queryInstant(url: string, expr: string, time: number, timeoutMs: number): Promise<Sample[]> {
  const qs = new URLSearchParams({ query: expr, time: (time / 1000).toFixed(3) });
  const res = await fetch(`${url}/api/v1/query?${qs.toString()}`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json().catch(() => ({}))) as {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: unknown };
  };
  if (!res.ok || body.status !== 'success') throw new Error(`${res.status} ${body.error ?? 'no answer'} for ${expr}`);
  const { resultType, result } = body.data ?? {};
  if (resultType === 'scalar' && Array.isArray(result)) return [{ labels: {}, value: Number(result[1]) }];
  if (resultType !== 'vector' || !Array.isArray(result)) throw new Error(`${expr}: expected an instant vector, got ${resultType ?? 'nothing'}`);
  return (result as { metric?: Record<string, string>; value?: [number, string] }[]).map((r) => ({ labels: r.metric ?? {}, value: Number(r.value?.[1]) }));
}

interface QueryState {
  /** Components seen, with the first answered round they were missing in (undefined: present). */
  missingSince: Map<string, number | undefined>;
  absentSent: Set<string>;
  /** Event queries: series currently non-zero (an event is sent on the way up only). */
  raised: Set<string>;
}

export class PrometheusSource extends PullSource {
  readonly stats: PrometheusSourceStats = { rounds: 0, failures: 0, records: 0, skipped: 0, absences: 0, lastError: null };
  private readonly states = new Map<PromQuery, QueryState>();
  constructor(
    private readonly config: PrometheusSourceConfig & { url: string },
    private readonly log: Log,
    private readonly topic: string,
    onError: (line: string) => void = () => undefined,
  ) {
    super(config.intervalMs, 'prometheus', onError);
  }

  /** One evaluation of every query at `now`; publishes the records and returns them. */
  async round(now = Date.now()): Promise<TelemetryRecord[]> {
    this.stats.rounds++;
    const all: TelemetryRecord[] = [];
    for (const p of this.config.pipelines) {
      const records: TelemetryRecord[] = [];
      for (const q of p.queries) {
        let samples: Sample[];
        try {
          samples = await queryInstant(this.config.url, q.expr, now, this.config.timeoutMs);
        } catch (err) {
          this.stats.failures++;
          this.stats.lastError = (err as Error).message;
          continue; // a gap: nothing published, no absence clock started
        }
        records.push(...this.translate(p.pipeline, q, samples, now));
      }
      if (records.length === 0) continue;
      await publishRound(this.log, this.topic, p.pipeline, records, now);
      this.stats.records += records.length;
      all.push(...records);
    }
    return all;
  }

  private state(q: PromQuery): QueryState {
    let s = this.states.get(q);
    if (!s) {
      s = { missingSince: new Map(), absentSent: new Set(), raised: new Set() };
      this.states.set(q, s);
    }
    return s;
  }

  private translate(pipeline: string, q: PromQuery, samples: Sample[], now: number): TelemetryRecord[] {
    const st = this.state(q);
    const out: TelemetryRecord[] = [];
    const present = new Set<string>();
    const raisedNow = new Set<string>();
    for (const s of samples) {
      const component = q.component ?? s.labels[q.componentLabel ?? 'component'];
      if (!component) {
        this.stats.skipped++;
        continue;
      }
      present.add(component);
      if (!Number.isFinite(s.value)) {
        this.stats.skipped++;
        continue;
      }
      const labels: Record<string, string> = { source: 'prometheus' };
      for (const l of q.labels) if (s.labels[l] !== undefined) labels[l] = s.labels[l];
      const base = { v: 1 as const, ts: now, pipeline, component, signal: q.signal, labels };
      if (q.as === 'metric') out.push({ ...base, kind: 'metric', value: s.value, ...(q.unit ? { unit: q.unit } : {}) });
      else if (q.as === 'model.accuracy') {
        out.push({ ...base, kind: 'model', accuracy: Math.min(1, Math.max(0, s.value)), ...(s.labels.model_version ? { modelVersion: s.labels.model_version.slice(0, 64) } : {}) });
      } else if (s.value !== 0) {
        const key = `${component}\u0000${JSON.stringify(labels)}`;
        raisedNow.add(key);
        if (!st.raised.has(key)) out.push({ ...base, kind: 'event', event: q.event!, message: `${q.signal}: ${q.expr} = ${s.value}`.slice(0, 4096) });
      }
    }
    if (q.as === 'event') {
      st.raised.clear();
      for (const k of raisedNow) st.raised.add(k);
    }
    if (q.absent) {
      for (const c of present) {
        st.missingSince.set(c, undefined);
        st.absentSent.delete(c);
      }
      for (const [c, since] of st.missingSince) {
        if (present.has(c)) continue;
        const from = since ?? now;
        st.missingSince.set(c, from);
        if (now - from >= q.absent.afterMs && !st.absentSent.has(c)) {
          st.absentSent.add(c);
          this.stats.absences++;
          out.push({
            v: 1,
            ts: now,
            pipeline,
            component: c,
            signal: 'process',
            labels: { source: 'prometheus' },
            kind: 'event',
            event: q.absent.event,
            message: `stopped reporting to Prometheus: no series for ${q.signal} (${q.expr}) since ${new Date(from).toISOString()}`.slice(0, 4096),
          });
        }
      }
    }
    return out;
  }
}

/** The source's own counters on the sentinel's /metrics (read at scrape time). */
export function registerSourceMetrics(registry: Registry, source: PrometheusSource): void {
  const st = source.stats;
  mirroredCounter(registry, 'homeostat_sentinel_prometheus_rounds_total', 'Evaluation rounds of the Prometheus source', () => st.rounds);
  mirroredCounter(registry, 'homeostat_sentinel_prometheus_query_failures_total', 'PromQL evaluations that failed (each one a gap)', () => st.failures);
  mirroredCounter(registry, 'homeostat_sentinel_prometheus_records_total', 'Telemetry records published from PromQL results', () => st.records);
  mirroredCounter(registry, 'homeostat_sentinel_prometheus_absences_total', 'Components that stopped reporting (absence events sent)', () => st.absences);
}
