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
 * A partition's batch processing, snapshots and revocation are serialised by that partition's
 * lock, so a snapshot never sees a half-processed batch.
 *
 * Bounded: when the dispatcher's queue is full, a batch stops before its next message, the
 * partition is sought back to it and paused, and it resumes once the queue has drained below
 * `dispatch.resumeBelow` — the log holds what the sentinel cannot take yet. An action Temporal
 * refuses for good is dead-lettered (rule `undeliverable`) beside the rejected records. Retention
 * of the telemetry and dead-letter topics is set on Kafka topics when they are created and
 * enforced by the sentinel on the embedded log.
 */
import { deadLetterTopic, sendToDeadLetter, type DeadLetterInput, type Log, type LogBatch, type LogConsumer, type TopicPartition, type TopicPartitionOffset } from '../bindings/log';
import type { IncidentAction } from './component';
import type { SentinelConfig } from './config';
import type { DetectorFactory } from './detectors';
import { Dispatcher } from './dispatcher';
import { Engine, partitionKey, type BatchResult } from './engine';
import type { IncidentOpener } from './incidents';
import { recordLineage, type LineageSink } from './lineage';
import { StateStore } from './state-store';

export const DEFAULT_TELEMETRY_TOPIC = 'homeostat.telemetry';
export const DEFAULT_GROUP_ID = 'homeostat-sentinel';
/** Components serialised between two yields of a snapshot. */
const SNAPSHOT_SLICE = 100;

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
  /** The clock the time window is centred on (tests); default the wall clock. */
  clock?: () => number;
  logger?: (line: string) => void;
}

export interface SentinelStats {
  batches: number;
  deadLettered: number;
  /** Of `deadLettered`: incident actions Temporal refused for good. */
  undeliverable: number;
  snapshots: number;
  lastSnapshotAt: number | null;
  /** Longest time one snapshot held the lock (serialisation + SQLite write), ms. */
  snapshotMaxMs: number;
  lineageErrors: number;
  /** Times consumption paused because the dispatcher's queue was full. */
  backPressurePauses: number;
  /** Records deleted by retention on the embedded log. */
  retentionDeleted: number;
  /** Consumer lag per owned partition: high watermark − next offset. */
  lag: Map<string, { topic: string; partition: number; lag: number }>;
}

export class Sentinel {
  readonly topic: string;
  readonly groupId: string;
  readonly engine: Engine;
  readonly store: StateStore;
  readonly dispatcher: Dispatcher;
  readonly stats: SentinelStats = {
    batches: 0,
    deadLettered: 0,
    undeliverable: 0,
    snapshots: 0,
    lastSnapshotAt: null,
    snapshotMaxMs: 0,
    lineageErrors: 0,
    backPressurePauses: 0,
    retentionDeleted: 0,
    lag: new Map(),
  };
  private consumer: LogConsumer | null = null;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly dirty = new Set<string>();
  /** Partitions paused by back-pressure. */
  private readonly paused = new Map<string, TopicPartition>();
  /**
   * Dead letters of a partition the log has not taken yet. Until they are written the partition is
   * held (paused, retried every second) and not snapshotted: its offsets cover them.
   */
  private readonly unwritten = new Map<string, { partition: TopicPartition; entries: DeadLetterInput[]; retry?: NodeJS.Timeout }>();
  private readonly log: (line: string) => void;
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: SentinelOptions) {
    this.topic = options.topic ?? DEFAULT_TELEMETRY_TOPIC;
    this.groupId = options.groupId ?? DEFAULT_GROUP_ID;
    this.engine = new Engine(options.config, options.factory, options.clock ? { clock: options.clock } : {});
    this.store = new StateStore(options.stateFile, this.groupId);
    this.log = options.logger ?? (() => undefined);
    this.dispatcher = new Dispatcher(
      options.opener,
      this.store,
      {
        onSent: (a) => this.onSent(a),
        onUndeliverable: (a, reason) => this.deadLetterAction(a, reason),
        onError: (err, a, wait) => this.log(`incident ${a.kind} for ${a.pipeline}/${a.component} failed, retrying in ${wait} ms: ${(err as Error).message}`),
        onCapacity: () => this.resumePaused(),
      },
      options.config.dispatch,
    );
  }

  get snapshotIntervalMs(): number {
    return this.options.snapshotIntervalMs ?? this.options.config.snapshotIntervalMs;
  }

  async start(): Promise<void> {
    const { retention } = this.options.config;
    const partitions = this.options.partitions ?? 4;
    await this.options.log.createTopic(this.topic, { partitions, retention: retention.telemetry });
    await this.options.log.createTopic(deadLetterTopic(this.topic), { partitions, retention: retention.deadLetters });
    this.consumer = this.options.log.consumer({
      groupId: this.groupId,
      topics: [this.topic],
      autoCommit: false,
      fromBeginning: true,
      // Kafka: decode and hand over up to four partitions at once (a lock per partition keeps each exact).
      concurrentPartitions: 4,
      ...(this.options.consumer ?? {}),
      hooks: { onAssign: (ps) => this.onAssign(ps), onRevoke: (ps) => this.onRevoke(ps) },
    } as Parameters<Log['consumer']>[0]);
    await this.consumer.run(async (batch) => {
      await this.handleBatch(batch);
    });
    this.every(this.snapshotIntervalMs, () => this.snapshot().catch((err: unknown) => this.log(`snapshot failed: ${(err as Error).message}`)));
    if (this.options.log.kind === 'embedded') {
      this.every(retention.checkEveryMs, () => this.enforceRetention().catch((err: unknown) => this.log(`retention failed: ${(err as Error).message}`)));
    }
  }

  private every(ms: number, fn: () => unknown): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Deletes what the retention settings no longer cover from the telemetry and dead-letter topics. */
  async enforceRetention(): Promise<number> {
    const { retention } = this.options.config;
    const deleted =
      (await this.options.log.enforceRetention(this.topic, retention.telemetry)) + (await this.options.log.enforceRetention(deadLetterTopic(this.topic), retention.deadLetters));
    this.stats.retentionDeleted += deleted;
    return deleted;
  }

  /**
   * One lock per partition: a partition's batches, snapshots and revocation never interleave, while
   * other partitions keep flowing (a partition's state and offset are all a snapshot needs).
   */
  private withLock<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return next;
  }

  private onAssign(partitions: readonly TopicPartition[]): TopicPartitionOffset[] {
    const seeks: TopicPartitionOffset[] = [];
    for (const p of partitions) {
      this.dispatcher.assigned(p.topic, p.partition);
      let stored: ReturnType<StateStore['load']>;
      try {
        stored = this.store.load(p.topic, p.partition);
        if (stored) {
          const state = this.engine.restorePartition(p.topic, p.partition, stored.offset, stored.snapshot);
          seeks.push({ topic: p.topic, partition: p.partition, offset: stored.offset });
          this.dispatcher.enqueue(state.pending);
          this.log(`assigned ${p.topic}[${p.partition}]: restored snapshot at offset ${stored.offset} (${state.monitors().length} components, ${state.pending.length} pending actions)`);
          continue;
        }
      } catch (err) {
        // An unreadable snapshot (another build's format, a damaged row) must not stop consumption:
        // continue from its offset with fresh detectors, and say so.
        this.engine.drop(p.topic, p.partition);
        if (stored) {
          this.engine.partition(p.topic, p.partition, stored.offset);
          seeks.push({ topic: p.topic, partition: p.partition, offset: stored.offset });
        }
        this.log(`assigned ${p.topic}[${p.partition}]: snapshot unreadable (${(err as Error).message}); fresh detectors from offset ${stored?.offset ?? 'committed'}`);
        continue;
      }
      this.engine.drop(p.topic, p.partition);
      this.log(`assigned ${p.topic}[${p.partition}]: no snapshot, starting from the committed offset`);
    }
    return seeks;
  }

  private async onRevoke(partitions: readonly TopicPartition[]): Promise<void> {
    for (const p of partitions) {
      const k = partitionKey(p.topic, p.partition);
      await this.withLock(k, async () => {
        await this.snapshotLocked(k);
        this.engine.drop(p.topic, p.partition);
        this.dispatcher.forget(p.topic, p.partition);
        this.stats.lag.delete(k);
        this.paused.delete(k);
        // Its next owner replays from the last snapshot, which does not cover unwritten dead letters.
        const held = this.unwritten.get(k);
        if (held?.retry) clearTimeout(held.retry);
        this.unwritten.delete(k);
      });
    }
    this.log(`revoked ${partitions.map((p) => `${p.topic}[${p.partition}]`).join(', ')}: snapshot saved`);
  }

  /**
   * What the consumer calls with each batch (and tests call directly): the engine takes the
   * messages — stopping early when the dispatcher is full — then rejected ones are made durable in
   * the dead-letter topic before their offsets can be snapshotted, and the actions are queued.
   */
  async handleBatch(batch: LogBatch): Promise<BatchResult> {
    const k = partitionKey(batch.topic, batch.partition);
    return this.withLock(k, async () => {
      const result = this.engine.processBatch(batch, (taken) => this.dispatcher.wouldBeFull(taken));
      this.stats.batches++;
      this.dirty.add(k);
      const state = this.engine.partitions.get(k);
      if (state) this.stats.lag.set(k, { topic: batch.topic, partition: batch.partition, lag: Math.max(0, batch.highWatermark - state.offset) });
      // Actions first: they never wait on the dead-letter topic.
      this.dispatcher.enqueue(result.actions);
      const p = { topic: batch.topic, partition: batch.partition };
      if ((result.rejected.length > 0 || this.unwritten.has(k)) && !(await this.writeDeadLetters(k, p, result.rejected))) this.holdForDeadLetters(k, p);
      else if (result.stoppedAt !== undefined) this.pause(p, result.stoppedAt);
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
      return result;
    });
  }

  /** Back-pressure: read this partition again from `offset` once the dispatcher has room. */
  private pause(p: TopicPartition, offset: number): void {
    this.consumer?.seek({ ...p, offset });
    const k = partitionKey(p.topic, p.partition);
    if (!this.paused.has(k)) {
      this.stats.backPressurePauses++;
      this.log(`${p.topic}[${p.partition}] paused at offset ${offset}: ${this.dispatcher.queued} incident actions wait for delivery`);
    }
    this.paused.set(k, p);
    this.consumer?.pause([p]);
    // The queue may have drained while the batch was in hand.
    if (this.dispatcher.queued <= this.dispatcher.resumeBelow) this.resumePaused();
  }

  /** Writes a partition's dead letters (those still unwritten first); false when the log refused them — they are kept. */
  private async writeDeadLetters(k: string, partition: TopicPartition, more: readonly DeadLetterInput[]): Promise<boolean> {
    const held = this.unwritten.get(k);
    const entries = [...(held?.entries ?? []), ...more];
    if (entries.length === 0) return true;
    try {
      await sendToDeadLetter(this.options.log, this.topic, entries);
    } catch (err) {
      this.unwritten.set(k, { partition, entries, ...(held?.retry ? { retry: held.retry } : {}) });
      this.log(`${entries.length} dead letter(s) of ${partition.topic}[${partition.partition}] not written, holding the partition: ${(err as Error).message}`);
      return false;
    }
    if (held?.retry) clearTimeout(held.retry);
    this.unwritten.delete(k);
    this.stats.deadLettered += entries.length;
    return true;
  }

  /** Pauses a partition whose dead letters wait, and retries writing them every second; resumes once written. */
  private holdForDeadLetters(k: string, p: TopicPartition): void {
    const state = this.engine.partitions.get(k);
    if (state) this.consumer?.seek({ ...p, offset: state.offset });
    this.consumer?.pause([p]);
    const held = this.unwritten.get(k);
    if (!held || held.retry) return;
    const retry = (): void => {
      held.retry = setTimeout(() => {
        held.retry = undefined;
        void this.withLock(k, () => this.writeDeadLetters(k, p, [])).then((ok) => {
          if (this.stopping) return;
          if (!ok) return retry();
          if (!this.paused.has(k)) this.consumer?.resume([p]);
        });
      }, 1_000);
      held.retry.unref();
    };
    retry();
  }

  private resumePaused(): void {
    if (this.paused.size === 0 || this.dispatcher.queued > this.dispatcher.resumeBelow) return;
    const ps = [...this.paused.entries()].filter(([k]) => !this.unwritten.has(k)).map(([, p]) => p);
    for (const p of ps) this.paused.delete(partitionKey(p.topic, p.partition));
    if (ps.length === 0) return;
    this.consumer?.resume(ps);
    this.log(`resumed ${ps.map((p) => `${p.topic}[${p.partition}]`).join(', ')}: ${this.dispatcher.queued} incident actions queued`);
  }

  private async deadLetterAction(action: IncidentAction, reason: string): Promise<void> {
    await sendToDeadLetter(this.options.log, this.topic, [
      { value: Buffer.from(JSON.stringify(action), 'utf8'), key: action.pipeline, field: 'action', rule: 'undeliverable', reason: `action: ${reason}`, source: action.source },
    ]);
    this.stats.deadLettered++;
    this.stats.undeliverable++;
    this.log(`incident ${action.kind} for ${action.pipeline}/${action.component} dead-lettered: ${reason}`);
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
   * partition is its own transaction under its own lock: its snapshot carries its own offset, so
   * nothing needs several partitions saved together. Components are serialised in slices with a
   * yield between them, so the other partitions' batches keep flowing while a large partition
   * (thousands of signals) is written.
   */
  async snapshot(only?: readonly TopicPartition[]): Promise<void> {
    const keys = only ? only.map((p) => partitionKey(p.topic, p.partition)) : [...this.dirty];
    for (const k of keys) await this.withLock(k, () => this.snapshotLocked(k));
  }

  private async snapshotLocked(k: string): Promise<void> {
    const state = this.engine.partitions.get(k);
    if (!state) return;
    const held = this.unwritten.get(k);
    if (held && !(await this.writeDeadLetters(k, held.partition, []))) {
      // The previous snapshot stands: a restart replays these records and dead-letters them then.
      this.log(`snapshot of ${state.topic}[${state.partition}] deferred: its dead letters are not written yet`);
      return;
    }
    const started = Date.now();
    const offset = state.offset;
    const parts: string[] = [];
    const monitors = state.monitors();
    for (let i = 0; i < monitors.length; i++) {
      parts.push(JSON.stringify(monitors[i].snapshot()));
      if (i % SNAPSHOT_SLICE === SNAPSHOT_SLICE - 1) await new Promise((r) => setImmediate(r));
    }
    // Pending actions last: the dispatcher may have sent some while we yielded.
    const json = `{"v":2,"components":[${parts.join(',')}],"pending":${JSON.stringify(state.pending)},"watermark":${state.watermark},"nextSweepAt":${state.nextSweepAt}}`;
    this.store.saveSerialized([{ topic: state.topic, partition: state.partition, offset, state: json, pendingKeys: state.pending.map((a) => a.key) }]);
    this.dirty.delete(k);
    this.stats.snapshots++;
    this.stats.lastSnapshotAt = Date.now();
    this.stats.snapshotMaxMs = Math.max(this.stats.snapshotMaxMs, this.stats.lastSnapshotAt - started);
    // The commit never passes a record whose action is still undelivered: the snapshot holding
    // that action is this process's own file, so a successor that takes the partition over
    // without it (this process was killed) starts from the committed offset — and must read that
    // record again to send the action. What it re-reads and was sent already, the dispatcher
    // looks up in Temporal before sending (a record from before it owned the partition).
    const commitAt = Math.min(offset, ...state.pending.map((a) => a.source.offset));
    // The commit is advisory (a restore seeks to the snapshot's own offset), so it is not awaited
    // under the lock: during a Kafka rebalance a commit can stall until the group settles, and the
    // revocation that the rebalance waits for needs this lock.
    this.consumer?.commit([{ topic: state.topic, partition: state.partition, offset: commitAt }]).catch((err: unknown) => {
      this.log(`commit of ${state.topic}[${state.partition}] at ${commitAt} failed (the snapshot stands): ${(err as Error).message}`);
    });
  }

  assignment(): TopicPartition[] {
    return this.consumer?.assignment() ?? [];
  }

  /** Final snapshot (through the revoke hook), leave the group, let queued incident actions go out. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        for (const t of this.timers) clearInterval(t);
        this.timers.length = 0;
        for (const held of this.unwritten.values()) if (held.retry) clearTimeout(held.retry);
        await this.consumer?.stop();
        await this.dispatcher.idle(5_000);
        this.dispatcher.stop();
        this.store.close();
      })();
    }
    return this.stopping;
  }
}
