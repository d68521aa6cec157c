/**
 * The sentinel: a consumer-group member on the telemetry topic that feeds the engine, writes
 * rejected records to the dead-letter topic, sends incident actions, and snapshots its state.
 *
 * Exact state: every snapshot stores, per owned partition, the engine state *and* the next offset
 * it corresponds to, in one SQLite transaction; only then are those offsets committed to the log.
 * On start and on every partition assignment the snapshot is restored and reading resumes at its
 * offset (returned from `onAssign`), so a restarted sentinel replays exactly the records after its
 * last snapshot, through detectors in exactly the state they had then. Snapshots are taken every
 * `snapshotIntervalMs`, when partitions are revoked (rebalance), and on stop.
 * Batch processing, snapshots and revocations are serialised by one lock, so a snapshot never
 * sees a half-processed batch.
 */
import { deadLetterTopic, sendToDeadLetter, type Log, type LogBatch, type LogConsumer, type TopicPartition, type TopicPartitionOffset } from '../bindings/log';
import type { IncidentAction } from './component';
import type { SentinelConfig } from './config';
import type { DetectorFactory } from './detectors';
import { Engine, partitionKey } from './engine';
import { Dispatcher, type IncidentOpener } from './incidents';
import { recordLineage, type LineageSink } from './lineage';
import { StateStore } from './state-store';

export const DEFAULT_TELEMETRY_TOPIC = 'homeostat.telemetry';
export const DEFAULT_GROUP_ID = 'homeostat-sentinel';

export interface SentinelOptions {
  log: Log;
  config: SentinelConfig;
  factory: DetectorFactory;
  opener: IncidentOpener;
  /** SQLite file for snapshots and the sent ledger; shared by the members of one group. */
  stateFile: string;
  topic?: string;
  groupId?: string;
  /** Partitions of the telemetry topic when the sentinel creates it. Default 4. */
  partitions?: number;
  snapshotIntervalMs?: number;
  lineage?: LineageSink;
  /** Implementation-specific consumer knobs (memberId, heartbeatMs, sessionTimeoutMs…). */
  consumer?: Record<string, string | number>;
  logger?: (line: string) => void;
}

export interface SentinelStats {
  batches: number;
  deadLettered: number;
  snapshots: number;
  lastSnapshotAt: number | null;
  /** Longest time one snapshot held the lock (serialisation + SQLite write), ms. */
  snapshotMaxMs: number;
  lineageErrors: number;
  /** Consumer lag per owned partition: high watermark − next offset. */
  lag: Map<string, { topic: string; partition: number; lag: number }>;
}

export class Sentinel {
  readonly topic: string;
  readonly groupId: string;
  readonly engine: Engine;
  readonly store: StateStore;
  readonly dispatcher: Dispatcher;
  readonly stats: SentinelStats = { batches: 0, deadLettered: 0, snapshots: 0, lastSnapshotAt: null, snapshotMaxMs: 0, lineageErrors: 0, lag: new Map() };
  private consumer: LogConsumer | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private readonly dirty = new Set<string>();
  private readonly log: (line: string) => void;
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: SentinelOptions) {
    this.topic = options.topic ?? DEFAULT_TELEMETRY_TOPIC;
    this.groupId = options.groupId ?? DEFAULT_GROUP_ID;
    this.engine = new Engine(options.config, options.factory);
    this.store = new StateStore(options.stateFile, this.groupId);
    this.log = options.logger ?? (() => undefined);
    this.dispatcher = new Dispatcher(
      options.opener,
      this.store,
      (a) => this.onSent(a),
      (err, a) => this.log(`incident ${a.kind} for ${a.pipeline}/${a.component} failed, retrying: ${(err as Error).message}`),
    );
  }

  get snapshotIntervalMs(): number {
    return this.options.snapshotIntervalMs ?? this.options.config.snapshotIntervalMs;
  }

  async start(): Promise<void> {
    await this.options.log.createTopic(this.topic, { partitions: this.options.partitions ?? 4 });
    await this.options.log.createTopic(deadLetterTopic(this.topic), { partitions: this.options.partitions ?? 4 });
    this.consumer = this.options.log.consumer({
      groupId: this.groupId,
      topics: [this.topic],
      autoCommit: false,
      fromBeginning: true,
      ...(this.options.consumer ?? {}),
      hooks: { onAssign: (ps) => this.onAssign(ps), onRevoke: (ps) => this.onRevoke(ps) },
    } as Parameters<Log['consumer']>[0]);
    await this.consumer.run((batch) => this.onBatch(batch));
    this.timer = setInterval(() => {
      this.snapshot().catch((err: unknown) => this.log(`snapshot failed: ${(err as Error).message}`));
    }, this.snapshotIntervalMs);
    this.timer.unref();
  }

  private withLock<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }

  private onAssign(partitions: readonly TopicPartition[]): TopicPartitionOffset[] {
    const seeks: TopicPartitionOffset[] = [];
    for (const p of partitions) {
      const stored = this.store.load(p.topic, p.partition);
      if (stored) {
        const state = this.engine.restorePartition(p.topic, p.partition, stored.offset, stored.snapshot);
        seeks.push({ topic: p.topic, partition: p.partition, offset: stored.offset });
        this.dispatcher.enqueue(state.pending);
        this.log(`assigned ${p.topic}[${p.partition}]: restored snapshot at offset ${stored.offset} (${state.monitors().length} components, ${state.pending.length} pending actions)`);
      } else {
        this.engine.drop(p.topic, p.partition);
        this.log(`assigned ${p.topic}[${p.partition}]: no snapshot, starting from the committed offset`);
      }
    }
    return seeks;
  }

  private async onRevoke(partitions: readonly TopicPartition[]): Promise<void> {
    await this.withLock(async () => {
      await this.snapshotLocked(partitions.map((p) => partitionKey(p.topic, p.partition)));
      for (const p of partitions) {
        this.engine.drop(p.topic, p.partition);
        this.dispatcher.forget(p.topic, p.partition);
        this.stats.lag.delete(partitionKey(p.topic, p.partition));
      }
    });
    this.log(`revoked ${partitions.map((p) => `${p.topic}[${p.partition}]`).join(', ')}: snapshot saved`);
  }

  private async onBatch(batch: LogBatch): Promise<void> {
    await this.withLock(async () => {
      const result = this.engine.processBatch(batch);
      this.stats.batches++;
      const k = partitionKey(batch.topic, batch.partition);
      this.dirty.add(k);
      const state = this.engine.partitions.get(k);
      if (state) this.stats.lag.set(k, { topic: batch.topic, partition: batch.partition, lag: Math.max(0, batch.highWatermark - state.offset) });
      // Dead letters are durable before the offsets that cover them can be snapshotted.
      if (result.rejected.length > 0) {
        await sendToDeadLetter(this.options.log, this.topic, result.rejected);
        this.stats.deadLettered += result.rejected.length;
      }
      this.dispatcher.enqueue(result.actions);
      if (result.lineage.length > 0 && this.options.lineage) {
        for (const l of result.lineage) {
          await recordLineage(this.options.lineage, { job: l.job, inputs: l.inputs, outputs: l.outputs, attrs: { pipeline: l.pipeline } }).catch(
            (err: unknown) => {
              this.stats.lineageErrors++;
              this.log(`lineage for ${l.job.name} not recorded: ${(err as Error).message}`);
            },
          );
        }
      }
    });
  }

  private onSent(action: IncidentAction): void {
    const k = partitionKey(action.source.topic, action.source.partition);
    const state = this.engine.partitions.get(k);
    if (!state) return;
    const i = state.pending.findIndex((a) => a.key === action.key);
    if (i >= 0) {
      state.pending.splice(i, 1);
      this.dirty.add(k);
    }
  }

  /**
   * Snapshots every changed partition (or the given ones) and commits their offsets. Each
   * partition is its own transaction and its own turn of the lock: a partition's snapshot carries
   * its own offset, so nothing needs several partitions to be saved together, and batches of the
   * other partitions keep flowing between them (a 10,000-signal sentinel would otherwise pause for
   * the whole serialisation at once).
   */
  async snapshot(only?: readonly TopicPartition[]): Promise<void> {
    const keys = only ? only.map((p) => partitionKey(p.topic, p.partition)) : [...this.dirty];
    for (const k of keys) await this.withLock(() => this.snapshotLocked([k]));
  }

  private async snapshotLocked(keys: readonly string[]): Promise<void> {
    const started = Date.now();
    const writes = [];
    for (const k of keys) {
      const state = this.engine.partitions.get(k);
      if (!state) continue;
      writes.push({ topic: state.topic, partition: state.partition, offset: state.offset, snapshot: this.engine.snapshotPartition(state.topic, state.partition) });
    }
    if (writes.length === 0) return;
    this.store.save(writes);
    for (const k of keys) this.dirty.delete(k);
    this.stats.snapshots++;
    this.stats.lastSnapshotAt = Date.now();
    this.stats.snapshotMaxMs = Math.max(this.stats.snapshotMaxMs, this.stats.lastSnapshotAt - started);
    await this.consumer?.commit(writes.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.offset })));
  }

  assignment(): TopicPartition[] {
    return this.consumer?.assignment() ?? [];
  }

  /** Final snapshot (through the revoke hook), leave the group, let queued incident actions go out. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        if (this.timer) clearInterval(this.timer);
        this.timer = null;
        await this.consumer?.stop();
        await this.dispatcher.idle(5_000);
        this.dispatcher.stop();
        this.store.close();
      })();
    }
    return this.stopping;
  }
}
