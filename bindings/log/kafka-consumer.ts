/**
 * A consumer-group member on Kafka (kafkajs), with the same hooks as the embedded consumer.
 *
 * kafkajs has no revoke / assign callbacks, so they are derived from its instrumentation events:
 * `REBALANCING` (emitted when the member learns of a rebalance, before it rejoins — Kafka's eager
 * protocol revokes every partition then) → `onRevoke(all owned)`; `GROUP_JOIN` (after sync, with
 * the new assignment) → `onAssign(new assignment)`. Batches of partitions this member is not
 * (yet) known to own are not processed and their offsets are not resolved, so nothing is
 * committed for them; after a rejoin kafkajs re-reads from the committed offsets, and records
 * below the position returned by `onAssign` are skipped here, which makes a snapshot's offsets
 * the real starting point.
 */
import { type Consumer, type Kafka } from 'kafkajs';
import type { BatchHandler, ConsumerOptions, LogConsumer, LogRecord, TopicPartition, TopicPartitionOffset } from './types';

export interface KafkaConsumerOptions extends ConsumerOptions {
  /** Partitions whose batches may be in the handler at once. Default 1 (strictly one batch at a time). */
  concurrentPartitions?: number;
  sessionTimeoutMs?: number;
  heartbeatMs?: number;
  rebalanceTimeoutMs?: number;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function headersOf(h: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Readonly<Record<string, string>> {
  // Most telemetry has no headers: share one frozen object instead of allocating per record.
  if (!h || !hasKeys(h)) return NO_HEADERS;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

export class KafkaConsumer implements LogConsumer {
  readonly groupId: string;
  private consumer: Consumer | null = null;
  /** Next offset to process per owned partition; undefined = accept what kafkajs delivers. */
  /** `sought`: the handler called seek() for this partition while its batch was in hand. */
  private readonly owned = new Map<string, { topic: string; partition: number; next: number | undefined; sought?: boolean }>();
  /** Resolves when the current assignment's onAssign hook has finished. */
  private assigning: Promise<void> = Promise.resolve();
  private running = false;
  private stopped = false;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaConsumerOptions,
  ) {
    this.groupId = options.groupId;
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.running) return;
    this.running = true;
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.options.heartbeatMs ?? 1_000,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 15_000,
      allowAutoTopicCreation: false,
      // Large fetches: kafkajs's per-fetch overhead, not decoding, limits small-record throughput.
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 50,
    });
    this.consumer = consumer;
    let firstJoin!: () => void;
    const joined = new Promise<void>((resolve) => (firstJoin = resolve));

    consumer.on(consumer.events.REBALANCING, () => {
      this.assigning = this.assigning.then(() => this.revokeAll());
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment;
      this.assigning = this.assigning.then(() => this.assign(assignment)).then(firstJoin);
    });

    await consumer.connect();
    await consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning !== false });
    await consumer.run({
      // Opt-in: batches of different partitions handed over concurrently (each partition stays in order).
      partitionsConsumedConcurrently: this.options.concurrentPartitions ?? 1,
      autoCommit: this.options.autoCommit !== false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        await this.assigning;
        const o = this.owned.get(key(batch.topic, batch.partition));
        if (!o || this.stopped || !isRunning() || isStale()) return;
        const records: LogRecord[] = [];
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (o.next !== undefined && offset < o.next) continue; // already in the restored state
          records.push({
            topic: batch.topic,
            partition: batch.partition,
            offset,
            key: m.key === null ? null : m.key.toString(),
            value: m.value ?? Buffer.alloc(0),
            timestamp: Number(m.timestamp),
            headers: headersOf(m.headers),
          });
        }
        if (records.length > 0) {
          if (o.next !== undefined && records[0].offset > o.next && o.next >= Number(batch.firstOffset() ?? 0)) {
            // A gap after our position: kafkajs started past it. Go back and do not process out of order.
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(o.next) });
            return;
          }
          o.sought = false;
          const work = Promise.resolve(handler({ topic: batch.topic, partition: batch.partition, records, highWatermark: Number(batch.highWatermark) }));
          this.inflight = work.catch(() => undefined);
          await work;
          // A handler that sought back (to retry a record it could not process) set the next
          // position itself: moving it past the batch would skip the records after that one.
          if (o.sought) return;
          o.next = records[records.length - 1].offset + 1;
        }
        if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
        await heartbeat();
      },
    });
    await joined;
  }

  private async revokeAll(): Promise<void> {
    const all = this.assignment();
    if (all.length > 0) await this.options.hooks?.onRevoke?.(all);
    this.owned.clear();
  }

  private async assign(assignment: Record<string, number[]>): Promise<void> {
    const next: TopicPartition[] = [];
    for (const [topic, partitions] of Object.entries(assignment)) for (const partition of partitions) next.push({ topic, partition });
    // Partitions kept across a rebalance in which REBALANCING was not observed (e.g. first join): revoke the lost ones.
    const lost = this.assignment().filter((p) => !next.some((n) => n.topic === p.topic && n.partition === p.partition));
    if (lost.length > 0) await this.options.hooks?.onRevoke?.(lost);
    for (const l of lost) this.owned.delete(key(l.topic, l.partition));
    const fresh = next.filter((n) => !this.owned.has(key(n.topic, n.partition)));
    const seeks = fresh.length > 0 ? ((await this.options.hooks?.onAssign?.(fresh)) ?? []) : [];
    for (const f of fresh) {
      const s = seeks.find((x) => x.topic === f.topic && x.partition === f.partition);
      this.owned.set(key(f.topic, f.partition), { ...f, next: s?.offset });
      if (s) this.consumer?.seek({ topic: f.topic, partition: f.partition, offset: String(s.offset) });
    }
  }

  assignment(): TopicPartition[] {
    return [...this.owned.values()].map((o) => ({ topic: o.topic, partition: o.partition }));
  }

  pause(partitions?: readonly TopicPartition[]): void {
    this.consumer?.pause(this.group(partitions ?? this.assignment()));
  }

  resume(partitions?: readonly TopicPartition[]): void {
    this.consumer?.resume(this.group(partitions ?? this.assignment()));
  }

  private group(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    return [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps }));
  }

  seek(position: TopicPartitionOffset): void {
    const o = this.owned.get(key(position.topic, position.partition));
    if (o) {
      o.next = position.offset;
      o.sought = true;
    }
    this.consumer?.seek({ topic: position.topic, partition: position.partition, offset: String(position.offset) });
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (!this.consumer || offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })));
  }

  async stop(): Promise<void> {
    if (this.stopped || !this.consumer) return;
    this.stopped = true;
    const consumer = this.consumer;
    // Finish the batch in flight, then revoke while still a member so onRevoke can commit.
    await this.inflight;
    await this.assigning.catch(() => undefined);
    await this.revokeAll().catch(() => undefined);
    await consumer.stop();
    await consumer.disconnect();
  }
}
