/**
 * A component's recent measurements, second by second, for the learn activity's outcome samples
 * (`GET /trail/:pipeline/:component`, read by the worker's `outcomeTelemetry`): what health,
 * latency, quality and loss the component showed while a repair ran, not whether it is anomalous.
 *
 * Per record-time second (the records' `ts`, never the wall clock) one bucket keeps:
 *   - the worst health index 1 − H_t, from the fused health each time it is observed;
 *   - the highest `latency_ms` metric value;
 *   - the lowest model accuracy (a model record's `accuracy`) as quality;
 *   - loss, from the `shed` and `throughput` metrics (see `lossOf` for the formula).
 * A figure not seen in a bucket stays absent: nothing is carried forward or guessed.
 *
 * Memory: a ring of `TRAIL_SECONDS` (600) buckets of six float64 fields in one Float64Array,
 * 600 × 6 × 8 B = 28,800 B per component, allocated once with the component's monitor and freed
 * with it when idle eviction drops the component (ComponentMonitor.evictIdle).
 *
 * Deliberately NOT in the sentinel snapshot (component-snapshot.ts): the trail informs learning,
 * never detection, so leaving it out keeps snapshots small and restores exact. After a restart
 * the trail starts empty (or from whatever of the log is replayed past the snapshot), so learning
 * measures less — a figure left unmeasured — never wrongly.
 */
import type { TelemetryReading } from '../activities/outcome-measure';
import type { ComponentRecord } from './records';

/** Seconds of record time the trail covers. */
export const TRAIL_SECONDS = 600;
export const TRAIL_MS = TRAIL_SECONDS * 1000;

// Field offsets inside one bucket; NaN marks a figure not seen (and, for SECOND, an unused slot).
const SECOND = 0;
const HEALTH = 1;
const LATENCY = 2;
const QUALITY = 3;
const SHED = 4;
const THROUGHPUT = 5;
const FIELDS = 6;

/**
 * Fraction of the bucket's records lost to load shedding, in [0, 1]; undefined unless both
 * `shed` and `throughput` were reported in the bucket.
 *
 * What the metrics mean (simulator/processes/enrich.ts and score.ts, as any pipeline reporting
 * them should): `throughput` is a rate of records *consumed* per second over the report interval,
 * shed ones included — (processed + quarantined + shed) / secs — and `shed` is the count of
 * records dropped in that interval; both are reported per instance, once a second. Hence
 *     loss = Σ shed / Σ throughput
 * over the bucket's reports: with a one-second interval Σ throughput is the records consumed, of
 * which Σ shed were dropped. (shed / (throughput + shed) would count the shed records twice, as
 * throughput already includes them.) Summing over the bucket adds the instances up; an instance
 * whose two reports land in one second adds to both sums alike, so the ratio holds. Clamped to 1
 * because the two figures come from separate records; shed with no throughput at all is total loss.
 */
function lossOf(shed: number, throughput: number): number | undefined {
  if (Number.isNaN(shed) || Number.isNaN(throughput)) return undefined;
  if (throughput > 0) return Math.min(1, shed / throughput);
  return shed > 0 ? 1 : 0;
}

export class Trail {
  private readonly buckets = new Float64Array(TRAIL_SECONDS * FIELDS).fill(NaN);
  /** Newest second written: a bucket is valid only within TRAIL_SECONDS of it. */
  private newest = -Infinity;

  /** The fused health observed at record time `ts`, as its index 1 − H. */
  health(ts: number, healthIndex: number): void {
    const i = this.bucket(ts);
    if (i < 0) return;
    const h = healthIndex < 0 ? 0 : healthIndex > 1 ? 1 : healthIndex;
    const b = this.buckets;
    if (!(b[i + HEALTH] <= h)) b[i + HEALTH] = h;
  }

  /** The figures a record carries: `latency_ms`, `shed` and `throughput` metrics, model accuracy. */
  record(rec: ComponentRecord): void {
    if (rec.kind === 'metric') {
      // Negative values are not latencies, counts or rates: ignored rather than reported.
      if (!(rec.value >= 0)) return;
      if (rec.signal === 'latency_ms') this.max(rec.ts, LATENCY, rec.value);
      else if (rec.signal === 'shed') this.add(rec.ts, SHED, rec.value);
      else if (rec.signal === 'throughput') this.add(rec.ts, THROUGHPUT, rec.value);
    } else if (rec.kind === 'model' && rec.accuracy !== undefined) {
      const i = this.bucket(rec.ts);
      if (i >= 0 && !(this.buckets[i + QUALITY] <= rec.accuracy)) this.buckets[i + QUALITY] = rec.accuracy;
    }
  }

  /**
   * The buckets overlapping [from, to] (epoch ms), oldest first, each at the start of its second.
   * A span longer than the trail is clamped to its last TRAIL_MS: nothing older is kept anyway.
   */
  readings(from: number, to: number): TelemetryReading[] {
    const start = Math.max(Math.floor(Math.max(from, to - TRAIL_MS) / 1000), this.newest - TRAIL_SECONDS + 1);
    const end = Math.min(Math.floor(to / 1000), this.newest);
    const out: TelemetryReading[] = [];
    const b = this.buckets;
    for (let s = start; s <= end; s++) {
      const i = slot(s);
      if (b[i + SECOND] !== s) continue;
      const loss = lossOf(b[i + SHED], b[i + THROUGHPUT]);
      const r: TelemetryReading = { at: s * 1000 };
      if (!Number.isNaN(b[i + HEALTH])) r.healthIndex = b[i + HEALTH];
      if (!Number.isNaN(b[i + LATENCY])) r.latencyMs = b[i + LATENCY];
      if (!Number.isNaN(b[i + QUALITY])) r.quality = b[i + QUALITY];
      if (loss !== undefined) r.loss = loss;
      out.push(r);
    }
    return out;
  }

  private max(ts: number, field: number, value: number): void {
    const i = this.bucket(ts);
    if (i >= 0 && !(this.buckets[i + field] >= value)) this.buckets[i + field] = value;
  }

  private add(ts: number, field: number, value: number): void {
    const i = this.bucket(ts);
    if (i < 0) return;
    const b = this.buckets;
    b[i + field] = Number.isNaN(b[i + field]) ? value : b[i + field] + value;
  }

  /**
   * The offset of `ts`'s bucket, claimed (cleared) if its slot still holds an older second; −1
   * for a record older than the trail, which would otherwise wipe a newer second's bucket.
   */
  private bucket(ts: number): number {
    const s = Math.floor(ts / 1000);
    if (s <= this.newest - TRAIL_SECONDS) return -1;
    const i = slot(s);
    const b = this.buckets;
    if (b[i + SECOND] !== s) {
      b.fill(NaN, i, i + FIELDS);
      b[i + SECOND] = s;
    }
    if (s > this.newest) this.newest = s;
    return i;
  }
}

function slot(second: number): number {
  return (((second % TRAIL_SECONDS) + TRAIL_SECONDS) % TRAIL_SECONDS) * FIELDS;
}
