/**
 * What the record readers (`sentinel/records/`) remember about one component between records:
 * trailing windows of per-batch values (a field's null rate, a histogram, the lag, the
 * throughput), schema fingerprints with their baseline, and each instance's latest throughput.
 * Readers turn a record plus this memory into detector samples, scores and facts; the component
 * monitor never looks inside.
 *
 * Everything is a function of the records fed in (time is the records' `ts`), and all of it is in
 * the snapshot, so a restored sentinel continues exactly. Every entry remembers when it was last
 * touched, so series that went silent can be evicted (`evict`).
 */
import { z } from 'zod';
import { populationStabilityIndex } from './psi';

/** Instances that did not report within this much record time no longer count in the component's throughput. */
const INSTANCE_STALE_MS = 3_000;

/**
 * Longest an open anomaly holds the PSI references (record time): as long as the longest
 * verification the policy schema allows (deadline.max), so a wait-and-see repair is judged
 * against what came before the anomaly; past it a population that stayed becomes the new normal,
 * as without a hold.
 */
export const PSI_HOLD_MAX_MS = 120_000;

interface Ring {
  /** Batches, flattened, oldest first. */
  values: number[];
  touched: number;
}

export const memorySnapshot = z.object({
  rings: z.array(z.tuple([z.string(), z.array(z.number()), z.number()])),
  fingerprints: z.array(z.tuple([z.string(), z.string(), z.number()])),
  instances: z.array(z.tuple([z.string(), z.number(), z.number()])),
  throughputLevel: z.number().nullable(),
  /** When the open anomaly began holding the PSI references; absent in snapshots written before the hold. */
  psiHeldSince: z.number().nullable().optional(),
});
export type MemorySnapshot = z.infer<typeof memorySnapshot>;

/**
 * Whether a ring measures capacity — a consumer lag's growth (`<signal>/growth`) or the throughput
 * level it is measured in — rather than the data or the model: a growing lag is a fault whatever
 * came before, so a repair does not make it the new normal.
 */
function measuresCapacity(key: string): boolean {
  return key === 'throughput/level' || key.endsWith('/growth');
}

export class SignalMemory {
  private readonly rings = new Map<string, Ring>();
  private readonly fingerprints = new Map<string, { value: string; touched: number }>();
  private readonly instances = new Map<string, { value: number; ts: number }>();
  /** Trailing mean of the component's summed `throughput`: the unit its lag's growth is measured in. */
  private throughputLevel: number | undefined;
  /** Record time the component's anomaly opened, while it holds the PSI references (see `holdReferences`). */
  private psiHeldSince: number | undefined;

  /**
   * While the component's anomaly is open, each PSI reference stays as it was when it opened and
   * only the recent window slides. Without this a population that moved and stayed was absorbed
   * by the trailing reference within about a reference length (30 s by default), and a
   * wait-and-see repair (log-and-wait) then "verified" a distribution shift that was still there —
   * the detector had only forgotten what normal looked like. `at` undefined: the anomaly closed.
   */
  holdReferences(at: number | undefined): void {
    if (at === undefined) this.psiHeldSince = undefined;
    else this.psiHeldSince ??= at;
  }

  /**
   * Appends one batch (`batch.length` values, position by position) to the ring under `key` and
   * returns, per position, the sum over the `referenceBatches` before the last `windowBatches`
   * and the sum over those last ones — undefined until the ring holds both. A batch of another
   * length than the ring's starts it over.
   */
  trailingSums(
    key: string,
    batch: readonly number[],
    referenceBatches: number,
    windowBatches: number,
    ts: number,
    /** Keep the reference part as it is and slide only the window (a full ring of this width only). */
    holdReference = false,
  ): { reference: number[]; current: number[] } | undefined {
    const width = batch.length;
    const previous = this.rings.get(key)?.values ?? [];
    const capacity = (referenceBatches + windowBatches) * width;
    const split = referenceBatches * width;
    let kept: number[];
    if (holdReference && width > 0 && previous.length === capacity) {
      kept = [...previous.slice(0, split), ...previous.slice(split + width), ...batch];
    } else {
      const ring = previous.length % width === 0 ? [...previous, ...batch] : [...batch];
      kept = ring.length > capacity ? ring.slice(ring.length - capacity) : ring;
    }
    this.rings.set(key, { values: kept, touched: ts });
    if (kept.length < capacity) return undefined;
    const reference = new Array<number>(width).fill(0);
    const current = new Array<number>(width).fill(0);
    for (let i = 0; i < kept.length; i++) (i < split ? reference : current)[i % width] += kept[i]!;
    return { reference, current };
  }

  /**
   * How far the recent level of a per-batch value has risen above its trailing level: mean of
   * the last `windowBatches` values minus the mean of the `referenceBatches` before them, 0 until
   * both are full. A fixed limit would need each field's contract; a detector on a signal that sat
   * at exactly 0 has no variance to scale a jump by.
   */
  levelRise(key: string, value: number, referenceBatches: number, windowBatches: number, ts: number): number {
    const sums = this.trailingSums(key, [value], referenceBatches, windowBatches, ts);
    return sums ? sums.current[0]! / windowBatches - sums.reference[0]! / referenceBatches : 0;
  }

  /**
   * Population stability index of the recent histograms of `key` against the ones just before
   * them: the last `windowBatches` batches summed, against the `referenceBatches` that preceded
   * them. One batch is a second of data (≈ 100 rows), and PSI between two such batches is mostly
   * sampling noise (0.1–0.5 on identical distributions); sums of a thousand rows against three
   * thousand bring the noise floor to ≈ 0.01, so a real shift stands out. The reference trails
   * the window, so a population that has moved and stayed becomes the new normal after a while
   * instead of alarming forever, and a baseline learned during an early fault does not poison the
   * detector for good. 0 until both windows are full.
   */
  psi(key: string, counts: readonly number[], referenceBatches: number, windowBatches: number, ts: number): number {
    const held = this.psiHeldSince !== undefined && ts - this.psiHeldSince <= PSI_HOLD_MAX_MS;
    const sums = this.trailingSums(key, counts, referenceBatches, windowBatches, ts, held);
    return sums ? populationStabilityIndex(sums.reference, sums.current) : 0;
  }

  fingerprint(key: string): string | undefined {
    return this.fingerprints.get(key)?.value;
  }

  /**
   * 1 when the fingerprint under `key` changed since the last one seen — except a change back to
   * the baseline (the first fingerprint seen), which is a recovery: a schema rollback, or the
   * producer reverting, must not open an incident of its own.
   */
  fingerprintChanged(key: string, fingerprint: string, ts: number): number {
    const last = this.fingerprints.get(key)?.value;
    const baselineKey = `${key}@baseline`;
    const baseline = this.fingerprints.get(baselineKey)?.value ?? last ?? fingerprint;
    this.fingerprints.set(key, { value: fingerprint, touched: ts });
    this.fingerprints.set(baselineKey, { value: baseline, touched: ts });
    return last !== undefined && last !== fingerprint && fingerprint !== baseline ? 1 : 0;
  }

  /**
   * One instance's `throughput`: the component's throughput — the sum over instances that
   * reported within the last 3 s, since the lag is the whole group's — joins its trailing level.
   */
  observeThroughput(instance: string, value: number, ts: number, referenceBatches: number, windowBatches: number): void {
    this.instances.set(instance, { value, ts });
    let total = 0;
    for (const [k, v] of this.instances) {
      if (ts - v.ts > INSTANCE_STALE_MS) this.instances.delete(k);
      else total += v.value;
    }
    const sums = this.trailingSums('throughput/level', [total], referenceBatches, windowBatches, ts);
    if (sums) this.throughputLevel = sums.reference[0]! / referenceBatches;
  }

  /**
   * A consumer lag's rise over its trailing level in seconds of the component's trailing
   * throughput, divided by `alarmSeconds` (1 = alarm); undefined until that throughput is known.
   */
  lagGrowth(signal: string, value: number, referenceBatches: number, windowBatches: number, alarmSeconds: number, ts: number): number | undefined {
    if (this.throughputLevel === undefined) return undefined;
    const rise = this.levelRise(`${signal}/growth`, value, referenceBatches, windowBatches, ts);
    return rise / (alarmSeconds * Math.max(this.throughputLevel, 1));
  }

  /**
   * After a verified repair: empties the data and model windows (PSI histograms, null-rate and
   * accuracy-loss levels), so they refill from what comes next. PSI is symmetric — a recovered
   * distribution differs from a reference full of fault-time batches — and a repair that contains
   * a fault instead of removing it (a quarantine downstream of a source that still sends nulls)
   * makes the contained level the new normal. Lag growth and the throughput level stay (see
   * `measuresCapacity`), and so do schema fingerprints and their baselines.
   */
  clearAfterRepair(): void {
    for (const k of [...this.rings.keys()]) if (!measuresCapacity(k)) this.rings.delete(k);
    this.psiHeldSince = undefined;
  }

  /** Forgets every series last touched before `before` (record time); returns how many went. */
  evict(before: number): number {
    const n = this.size;
    for (const [k, r] of this.rings) if (r.touched < before) this.rings.delete(k);
    for (const [k, f] of this.fingerprints) if (f.touched < before) this.fingerprints.delete(k);
    for (const [k, i] of this.instances) if (i.ts < before) this.instances.delete(k);
    if (!this.rings.has('throughput/level')) this.throughputLevel = undefined;
    return n - this.size;
  }

  /** Entries held (rings, fingerprints, instances): what eviction keeps bounded. */
  get size(): number {
    return this.rings.size + this.fingerprints.size + this.instances.size;
  }

  snapshot(): MemorySnapshot {
    return {
      rings: [...this.rings].map(([k, r]) => [k, [...r.values], r.touched]),
      fingerprints: [...this.fingerprints].map(([k, f]) => [k, f.value, f.touched]),
      instances: [...this.instances].map(([k, i]) => [k, i.value, i.ts]),
      throughputLevel: this.throughputLevel ?? null,
      psiHeldSince: this.psiHeldSince ?? null,
    };
  }

  static restore(s: MemorySnapshot): SignalMemory {
    const m = new SignalMemory();
    for (const [k, values, touched] of s.rings) m.rings.set(k, { values: [...values], touched });
    for (const [k, value, touched] of s.fingerprints) m.fingerprints.set(k, { value, touched });
    for (const [k, value, ts] of s.instances) m.instances.set(k, { value, ts });
    m.throughputLevel = s.throughputLevel ?? undefined;
    m.psiHeldSince = s.psiHeldSince ?? undefined;
    return m;
  }
}
