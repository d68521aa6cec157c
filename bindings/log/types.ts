/**
 * The Log binding: an append-only, partitioned, replayable record log with consumer groups.
 *
 * Two implementations share this interface so the sentinel, the live pipeline and the repair
 * templates (replay from checkpoint, quarantine) run unchanged on a laptop and in a cluster:
 *
 *  - `EmbeddedLog` (`bindings/log/embedded.ts`): one SQLite file (WAL), safe to share between
 *    processes on one host. Offsets, consumer groups and partition ownership live in the file.
 *  - `KafkaLog` (`bindings/log/kafka.ts`): kafkajs against a real broker.
 *
 * Semantics both implementations keep (the contract tests in `test/bindings/log-contract.ts`
 * check them):
 *  - A record's partition is `partitionFor(key, partitions)` (Kafka's murmur2 default partitioner),
 *    so a key always lands on the same partition on both logs; records without key go to
 *    partition 0 unless a partition is given.
 *  - Offsets are per partition, dense from 0 on a fresh topic, and `AppendResult` gives the offset
 *    of every appended record.
 *  - A *committed* offset is the offset of the next record the group will read (Kafka's
 *    convention). A group without a committed offset starts at `fromBeginning ? earliest : latest`.
 *  - Delivery is at-least-once: a consumer that did not commit re-reads from the committed offset.
 *    Consumers that need exactly-once state (the sentinel) snapshot their state together with the
 *    offsets they processed and return those offsets from `onAssign`.
 */

/** A record as read from the log. `value` holds the exact bytes that were appended. */
export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer;
  /** Epoch milliseconds, set by the producer (or the log at append time when not given). */
  readonly timestamp: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** A record to append. */
export interface AppendMessage {
  /** Partitioning key; records with the same key keep their order. */
  key?: string | null;
  value: Buffer | string;
  /** Epoch milliseconds; defaults to now. */
  timestamp?: number;
  headers?: Record<string, string>;
  /** Forces a partition instead of hashing the key. */
  partition?: number;
}

export interface AppendResult {
  readonly partition: number;
  readonly offset: number;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface PartitionOffset {
  readonly partition: number;
  readonly offset: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: number;
}

/** Where to move a group (or a consumer) to. */
export type ResetTarget =
  | { readonly to: 'earliest' }
  | { readonly to: 'latest' }
  /** The first record whose timestamp is ≥ `timestamp` (epoch ms); the end of the partition if none. */
  | { readonly to: 'timestamp'; readonly timestamp: number }
  /** Explicit next offsets; partitions not listed keep their committed offset. */
  | { readonly to: 'offsets'; readonly offsets: readonly PartitionOffset[] };

/** Records of one partition, in offset order, handed to a consumer in one call. */
export interface LogBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly LogRecord[];
  /** Offset the next appended record of this partition will get (Kafka's high watermark). */
  readonly highWatermark: number;
}

export interface ConsumerHooks {
  /**
   * Called after partitions were assigned to this member, before any of their records is
   * delivered. Return the offsets to start from (e.g. those stored with a state snapshot);
   * partitions not returned start from the group's committed offset.
   */
  onAssign?(partitions: readonly TopicPartition[]): Promise<readonly TopicPartitionOffset[] | void> | readonly TopicPartitionOffset[] | void;
  /**
   * Called before partitions are taken away from this member (rebalance, stop). Snapshot their
   * state here. With Kafka the call happens when the rebalance is noticed, so it is the right
   * place to persist but not to keep processing.
   */
  onRevoke?(partitions: readonly TopicPartition[]): Promise<void> | void;
}

export interface ConsumerOptions {
  groupId: string;
  topics: readonly string[];
  /** Where a group without committed offsets starts. Default true (earliest). */
  fromBeginning?: boolean;
  /**
   * Commit the offsets of every batch after the handler resolves. Default true. Turn it off when
   * the consumer commits offsets that belong to a snapshot (`commit`).
   */
  autoCommit?: boolean;
  /** Upper bound of records per batch (the embedded log; Kafka batches as the broker returns). Default 5000. */
  maxBatchRecords?: number;
  hooks?: ConsumerHooks;
}

/**
 * Receives the batches of the member's partitions. A partition's batches arrive one at a time and
 * in offset order. By default the handler sees one batch at a time; the Kafka consumer's
 * `concurrentPartitions` option lets batches of *different* partitions overlap (the sentinel
 * uses it, with a lock per partition).
 */
export type BatchHandler = (batch: LogBatch) => Promise<void> | void;

export interface LogConsumer {
  readonly groupId: string;
  /** Joins the group and starts delivering batches. Resolves once the member is running. */
  run(handler: BatchHandler): Promise<void>;
  /** Partitions this member owns right now. */
  assignment(): TopicPartition[];
  /** Stops fetching from the given partitions (all owned ones when omitted) until resumed. */
  pause(partitions?: readonly TopicPartition[]): void;
  resume(partitions?: readonly TopicPartition[]): void;
  /** Moves the read position of an owned partition; takes effect before its next batch. */
  seek(position: TopicPartitionOffset): void;
  /** Commits next-offsets for the group. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Calls `onRevoke` for the owned partitions, leaves the group and stops. Idempotent. */
  stop(): Promise<void>;
}

/** How long a topic keeps its records: by age (log timestamp) and by value bytes per partition. */
export interface TopicRetention {
  ms?: number;
  bytes?: number;
}

export interface Log {
  readonly kind: 'embedded' | 'kafka';
  /**
   * Creates the topic if missing. An existing topic keeps its partition count and settings.
   * Kafka creates it with `retention` as `retention.ms` / `retention.bytes` and enforces it itself;
   * on the embedded log retention is enforced by `enforceRetention`.
   */
  createTopic(topic: string, options?: { partitions?: number; retention?: TopicRetention }): Promise<void>;
  /**
   * Deletes the records `retention` no longer covers: older than `ms`, and the oldest ones of any
   * partition holding more than `bytes` of values. Returns the records deleted. Kafka's broker
   * enforces a topic's retention on its own, so there this returns 0.
   */
  enforceRetention(topic: string, retention: TopicRetention): Promise<number>;
  /** Partition count of a topic; HS_NOT_FOUND when the topic does not exist. */
  partitions(topic: string): Promise<number>;
  /** Appends records (creating the topic with default partitions if missing); one result per message, in order. */
  append(topic: string, messages: readonly AppendMessage[]): Promise<AppendResult[]>;
  /** Reads up to `limit` records of one partition from `offset` on, without a group. */
  read(topic: string, partition: number, offset: number, limit: number): Promise<LogRecord[]>;
  /** First retained offset per partition. */
  earliestOffsets(topic: string): Promise<PartitionOffset[]>;
  /** Next offset to be written per partition (high watermark). */
  latestOffsets(topic: string): Promise<PartitionOffset[]>;
  /** Committed next-offsets of a group; partitions without a commit are omitted. */
  committed(groupId: string, topic: string): Promise<PartitionOffset[]>;
  /**
   * Moves a group's committed offsets. The group must have no running members (Kafka refuses
   * otherwise); running consumers use `LogConsumer.seek`. Returns the offsets now committed.
   */
  resetGroup(groupId: string, topic: string, target: ResetTarget): Promise<PartitionOffset[]>;
  /** Drops records before the given offsets (retention); `earliestOffsets` moves accordingly. */
  deleteRecordsBefore(topic: string, offsets: readonly PartitionOffset[]): Promise<void>;
  consumer(options: ConsumerOptions): LogConsumer;
  close(): Promise<void>;
}

/** Name of the dead-letter topic that belongs to `topic`. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
