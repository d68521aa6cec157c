/**
 * The sentinel's processing core, free of I/O: raw telemetry messages in; per-partition detector
 * and fusion state updated; rejected messages, incident actions and lineage out.
 *
 * Entry point: `Engine.ingest(value, key, position, result)` takes one raw message and its
 * position in the log (topic, partition, offset) — `processBatch` is that, message by message,
 * for a log batch. Every message ends either as records read by their components or as
 * rejections carrying a field, a rule and a reason (for the dead-letter topic); `ingest` never
 * throws, and every incident action is added to the partition's `pending` list the moment it is
 * taken, so nothing a message caused can be lost by a later message of the same batch. A source
 * other than the log (Prometheus, a Kubernetes watch) should publish its records to the telemetry
 * topic (`publishTelemetry` in `sentinel/publish.ts`): a record that is not in the log cannot be
 * replayed after a restart, so it could not be part of the exact state.
 *
 * State is kept per log partition (a partition holds whole pipelines, since records are keyed by
 * pipeline), so a partition's state can be snapshotted with its offset and moved to another
 * sentinel on a rebalance. The hot path — a metric sample — is JSON.parse, the allocation-free
 * fast check, two map lookups and the fusion update.
 */
import type { LogBatch } from '../bindings/log';
import type { DeadLetterInput } from '../bindings/log/dead-letter';
import { ComponentMonitor, type IncidentAction, type MonitorEnv, type RecordContext } from './component';
import type { SentinelConfig } from './config';
import type { DetectorFactory } from './detectors';
import { partitionSnapshot, type PartitionSnapshot } from './partition-snapshot';
import type { ComponentRecord } from './records';
import type { LineageRecord, TelemetryRecord } from './telemetry';
import { decodeInto, type DecodeSink, type Rejection, type RecordChecks } from './validate';

export { faultOfEvent } from './records';
export type { PartitionSnapshot } from './partition-snapshot';

/** Where a message sits in the log. */
export interface SourcePosition {
  topic: string;
  partition: number;
  offset: number;
}

export class PartitionState {
  readonly pipelines = new Map<string, Map<string, ComponentMonitor>>();
  /** Incident actions taken and not yet confirmed sent; re-sent after a restore unless the ledger has them. */
  pending: IncidentAction[] = [];
  /** Next offset to process. */
  offset: number;
  /** Newest record time seen: idleness is measured against it, so eviction replays exactly. */
  watermark = 0;
  /** Record time at which the next eviction sweep runs. */
  nextSweepAt = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    offset: number,
  ) {
    this.offset = offset;
  }

  monitors(): ComponentMonitor[] {
    const out: ComponentMonitor[] = [];
    for (const comps of this.pipelines.values()) out.push(...comps.values());
    return out;
  }
}

export interface BatchResult {
  valid: number;
  rejected: DeadLetterInput[];
  actions: IncidentAction[];
  lineage: LineageRecord[];
  /** Set when processing stopped early (back-pressure): the offset of the first message not processed. */
  stoppedAt?: number;
}

export interface EngineCounters {
  records: number;
  invalid: number;
  /** Of `invalid`: records dated outside the time window. */
  outOfWindow: number;
  byKind: Record<TelemetryRecord['kind'], number>;
  processingErrors: number;
  /** Components forgotten after being idle. */
  evicted: number;
}

export interface EngineOptions {
  /** The sentinel's clock (epoch ms) the time window is centred on. Default: the wall clock. */
  clock?: () => number;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export const emptyBatchResult = (): BatchResult => ({ valid: 0, rejected: [], actions: [], lineage: [] });

export class Engine {
  readonly partitions = new Map<string, PartitionState>();
  readonly counters: EngineCounters = {
    records: 0,
    invalid: 0,
    outOfWindow: 0,
    byKind: { metric: 0, event: 0, profile: 0, schema: 0, model: 0, lineage: 0 },
    processingErrors: 0,
    evicted: 0,
  };
  private readonly env: MonitorEnv;
  private readonly clock: () => number;
  private readonly checks: RecordChecks;
  // The message being ingested; the decode sink and `emit` write through these.
  private state!: PartitionState;
  private result: BatchResult = emptyBatchResult();
  private message: Buffer = Buffer.alloc(0);
  private key: string | null = null;
  private readonly ctx: RecordContext = { topic: '', partition: 0, offset: 0, seq: 0 };
  private readonly sink: DecodeSink = {
    record: (rec, prefix) => this.accept(rec, prefix),
    reject: (r, value) => this.reject(r, value),
  };

  constructor(
    readonly config: SentinelConfig,
    factory: DetectorFactory,
    options: EngineOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.checks = { limits: config.limits, now: 0 };
    this.env = {
      config,
      factory,
      emit: (a) => {
        this.result.actions.push(a);
        this.state.pending.push(a);
      },
    };
  }

  /** State of a partition, created empty at `offset` when it has none. */
  partition(topic: string, partition: number, offset = 0): PartitionState {
    const k = partitionKey(topic, partition);
    let s = this.partitions.get(k);
    if (!s) {
      s = new PartitionState(topic, partition, offset);
      this.partitions.set(k, s);
    }
    return s;
  }

  drop(topic: string, partition: number): void {
    this.partitions.delete(partitionKey(topic, partition));
  }

  /**
   * Processes one batch: every message either updates state or is returned as rejected. With
   * `stopBefore`, asked before each message with the number of actions the batch has taken so
   * far, processing stops early (back-pressure): the partition's offset stays at the first
   * message not processed, which is `stoppedAt`.
   */
  processBatch(batch: LogBatch, stopBefore?: (actionsTaken: number) => boolean): BatchResult {
    const state = this.partition(batch.topic, batch.partition, batch.records[0]?.offset ?? 0);
    const result = emptyBatchResult();
    const now = this.clock();
    for (const rec of batch.records) {
      if (rec.offset < state.offset) continue; // already part of the restored state
      if (stopBefore?.(result.actions.length)) {
        result.stoppedAt = rec.offset;
        break;
      }
      this.ingestAt(state, rec.value, rec.key, rec.offset, now, result);
    }
    return result;
  }

  /** The entry point for one raw message (see the module comment); results are appended to `result`. */
  ingest(value: Buffer, key: string | null, position: SourcePosition, result: BatchResult): void {
    const state = this.partition(position.topic, position.partition, position.offset);
    if (position.offset < state.offset) return;
    this.ingestAt(state, value, key, position.offset, this.clock(), result);
  }

  private ingestAt(state: PartitionState, value: Buffer, key: string | null, offset: number, now: number, result: BatchResult): void {
    this.state = state;
    this.result = result;
    this.message = value;
    this.key = key;
    this.checks.now = now;
    const ctx = this.ctx;
    ctx.topic = state.topic;
    ctx.partition = state.partition;
    ctx.offset = offset;
    ctx.seq = 0;
    const before = result.rejected.length;
    try {
      decodeInto(value, this.checks, this.sink);
    } catch (err) {
      // Decoding is total by construction; should it ever throw, the message still ends in the dead-letter topic.
      this.reject({ field: '(root)', rule: 'internal', reason: `(root): could not be decoded (${(err as Error).message})` }, value);
    }
    for (let i = before; i < result.rejected.length; i++) result.rejected[i].source = { topic: state.topic, partition: state.partition, offset };
    state.offset = offset + 1;
  }

  private reject(r: Rejection, value: Buffer): void {
    this.result.rejected.push({ value, key: this.key, field: r.field, rule: r.rule, reason: r.reason });
    this.counters.invalid++;
    if (r.rule === 'time_window') this.counters.outOfWindow++;
  }

  private accept(rec: TelemetryRecord, prefix: string): void {
    const state = this.state;
    try {
      if (rec.kind === 'lineage') this.result.lineage.push(rec);
      else this.monitor(state, rec.pipeline, rec.component).read(rec as ComponentRecord, this.ctx);
      this.result.valid++;
      this.counters.records++;
      this.counters.byKind[rec.kind]++;
    } catch (err) {
      // A detector refusing a value must cost one record, never the sentinel.
      this.counters.processingErrors++;
      const field = prefix || '(root)';
      this.reject({ field, rule: 'processing', reason: `${field}: could not be processed (${(err as Error).message})` }, prefix === '' ? this.message : recordBytes(rec, this.message));
    }
    if (rec.ts > state.watermark) state.watermark = rec.ts;
    if (state.watermark >= state.nextSweepAt) this.sweep(state);
  }

  /** Forgets components, inputs and series idle for `eviction.idleMs` of record time. */
  private sweep(state: PartitionState): void {
    const { idleMs, sweepEveryMs } = this.config.eviction;
    const before = state.watermark - idleMs;
    for (const [pipeline, comps] of state.pipelines) {
      for (const [name, m] of comps) {
        if (m.evictIdle(before)) {
          comps.delete(name);
          this.counters.evicted++;
        }
      }
      if (comps.size === 0) state.pipelines.delete(pipeline);
    }
    state.nextSweepAt = state.watermark + sweepEveryMs;
  }

  private monitor(state: PartitionState, pipeline: string, component: string): ComponentMonitor {
    let comps = state.pipelines.get(pipeline);
    if (comps === undefined) {
      comps = new Map();
      state.pipelines.set(pipeline, comps);
    }
    let m = comps.get(component);
    if (m === undefined) {
      m = new ComponentMonitor(pipeline, component, this.env);
      comps.set(component, m);
    }
    return m;
  }

  snapshotPartition(topic: string, partition: number): PartitionSnapshot {
    const s = this.partition(topic, partition);
    return { v: 2, components: s.monitors().map((m) => m.snapshot()), pending: s.pending, watermark: s.watermark, nextSweepAt: s.nextSweepAt };
  }

  /** Restores a partition from its snapshot; throws on a malformed one (the caller starts it fresh). */
  restorePartition(topic: string, partition: number, offset: number, snapshot: unknown): PartitionState {
    const snap = partitionSnapshot.parse(snapshot);
    const s = new PartitionState(topic, partition, offset);
    for (const c of snap.components) {
      const m = ComponentMonitor.restore(c, this.env);
      let comps = s.pipelines.get(m.pipeline);
      if (!comps) {
        comps = new Map();
        s.pipelines.set(m.pipeline, comps);
      }
      comps.set(m.component, m);
    }
    s.pending = snap.pending as IncidentAction[];
    s.watermark = snap.watermark ?? 0;
    s.nextSweepAt = snap.nextSweepAt ?? 0;
    this.partitions.set(partitionKey(topic, partition), s);
    return s;
  }

  /** The monitor of one component, if an owned partition holds it. */
  monitorOf(pipeline: string, component: string): ComponentMonitor | undefined {
    for (const p of this.partitions.values()) {
      const m = p.pipelines.get(pipeline)?.get(component);
      if (m) return m;
    }
    return undefined;
  }

  /** Every monitored component across owned partitions. */
  monitors(): ComponentMonitor[] {
    const out: ComponentMonitor[] = [];
    for (const p of this.partitions.values()) out.push(...p.monitors());
    return out;
  }
}

/** A validated record inside a batch message, as bytes for its dead letter (the message itself if it will not encode). */
function recordBytes(rec: TelemetryRecord, message: Buffer): Buffer {
  try {
    return Buffer.from(JSON.stringify(rec), 'utf8');
  } catch {
    return message;
  }
}
