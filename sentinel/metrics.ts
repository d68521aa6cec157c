/**
 * Prometheus metrics of one sentinel, read from its counters at scrape time: the hot path only
 * bumps plain integers, never a prom-client object.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Sentinel } from './sentinel';

export interface HttpCounters {
  badBodies: number;
  alerts: number;
  lineageEvents: number;
  /** Verified repairs announced on POST /repaired. */
  repairs: number;
  /** Requests refused for a missing or wrong bearer token. */
  unauthorized: number;
  /** Alerts dropped as repeats within the debounce window (read from the server's debouncer). */
  debouncedSource?: () => number;
}

/** Counter whose value is a monotone figure owned elsewhere: at scrape, add what changed since the last scrape. */
export function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      if (v > last) this.inc(v - last);
      last = Math.max(last, v);
    },
  });
}

export class SentinelMetrics {
  readonly registry = new Registry();
  readonly http: HttpCounters = { badBodies: 0, alerts: 0, lineageEvents: 0, repairs: 0, unauthorized: 0 };
  private rate = 0;
  private lastCount = 0;
  private lastAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(sentinel: Sentinel) {
    const r = this.registry;
    const e = sentinel.engine.counters;
    const d = sentinel.dispatcher.stats;
    collectDefaultMetrics({ register: r, prefix: 'homeostat_sentinel_process_' });
    mirroredCounter(r, 'homeostat_sentinel_records_total', 'Valid telemetry records processed', () => e.records);
    mirroredCounter(r, 'homeostat_sentinel_invalid_records_total', 'Records that failed validation or processing', () => e.invalid + this.http.badBodies);
    mirroredCounter(r, 'homeostat_sentinel_dead_lettered_total', 'Records written to the dead-letter topic', () => sentinel.stats.deadLettered + this.http.badBodies);
    mirroredCounter(r, 'homeostat_sentinel_incidents_opened_total', 'Incidents opened (signalWithStart sent)', () => d.opened);
    mirroredCounter(r, 'homeostat_sentinel_evidence_sent_total', 'Evidence signals sent to open incidents', () => d.evidence);
    mirroredCounter(r, 'homeostat_sentinel_snapshots_total', 'State snapshots saved', () => sentinel.stats.snapshots);
    mirroredCounter(r, 'homeostat_sentinel_alerts_total', 'Alertmanager alerts received', () => this.http.alerts);
    mirroredCounter(r, 'homeostat_sentinel_http_unauthorized_total', 'HTTP requests refused with 401 (missing or wrong bearer token)', () => this.http.unauthorized);
    mirroredCounter(r, 'homeostat_sentinel_alerts_debounced_total', 'Alertmanager alerts dropped as repeats within the debounce window', () => this.http.debouncedSource?.() ?? 0);
    mirroredCounter(r, 'homeostat_sentinel_lineage_events_total', 'OpenLineage run events received', () => this.http.lineageEvents);
    mirroredCounter(r, 'homeostat_sentinel_repairs_announced_total', 'Verified repairs announced on POST /repaired (each re-arms a component)', () => this.http.repairs);

    mirroredCounter(r, 'homeostat_sentinel_undeliverable_actions_total', 'Incident actions Temporal refused for good, dead-lettered', () => sentinel.stats.undeliverable);
    mirroredCounter(r, 'homeostat_sentinel_send_failures_total', 'Failed sends of incident actions (each retry counts)', () => d.failures);
    mirroredCounter(r, 'homeostat_sentinel_back_pressure_pauses_total', 'Times consumption paused because the incident-action queue was full', () => sentinel.stats.backPressurePauses);
    mirroredCounter(r, 'homeostat_sentinel_out_of_window_records_total', 'Records dated outside the time window, dead-lettered', () => e.outOfWindow);
    mirroredCounter(r, 'homeostat_sentinel_evicted_components_total', 'Components forgotten after being idle', () => e.evicted);
    new Gauge({
      name: 'homeostat_sentinel_queued_actions',
      help: 'Incident actions waiting for delivery to Temporal',
      registers: [r],
      collect() {
        this.set(sentinel.dispatcher.queued);
      },
    });
    new Gauge({
      name: 'homeostat_sentinel_monitored_components',
      help: 'Components the sentinel holds state for',
      registers: [r],
      collect() {
        this.set(sentinel.engine.monitors().length);
      },
    });

    const rateGauge = new Gauge({ name: 'homeostat_sentinel_records_per_second', help: 'Valid records per second over the last few seconds', registers: [r] });
    this.timer = setInterval(() => {
      const now = Date.now();
      this.rate = ((e.records - this.lastCount) * 1000) / Math.max(1, now - this.lastAt);
      this.lastCount = e.records;
      this.lastAt = now;
      rateGauge.set(this.rate);
    }, 2_000);
    this.timer.unref();

    new Gauge({
      name: 'homeostat_sentinel_consumer_lag',
      help: 'Records not yet processed per partition (high watermark − next offset)',
      labelNames: ['topic', 'partition'],
      registers: [r],
      collect() {
        this.reset();
        for (const l of sentinel.stats.lag.values()) this.set({ topic: l.topic, partition: String(l.partition) }, l.lag);
      },
    });
    new Gauge({
      name: 'homeostat_sentinel_component_health',
      help: 'EWMA anomaly level H_t per component (0 healthy, 1 every detector alarming)',
      labelNames: ['pipeline', 'component'],
      registers: [r],
      collect() {
        this.reset();
        for (const m of sentinel.engine.monitors()) this.set({ pipeline: m.pipeline, component: m.component }, m.level);
      },
    });
    new Gauge({
      name: 'homeostat_sentinel_component_open',
      help: '1 while the sentinel holds an incident open for the component',
      labelNames: ['pipeline', 'component'],
      registers: [r],
      collect() {
        this.reset();
        for (const m of sentinel.engine.monitors()) this.set({ pipeline: m.pipeline, component: m.component }, m.isIncidentOpen() ? 1 : 0);
      },
    });
  }

  get recordsPerSecond(): number {
    return this.rate;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
