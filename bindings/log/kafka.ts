/**
 * The Kafka Log, through kafkajs 2.2.4. Records are partitioned by this module (murmur2, as the
 * embedded log) and sent with an explicit partition, so the offset of every appended record is
 * known from the partition's base offset. Admin calls back the offset management:
 * `setOffsets` for resets, `fetchTopicOffsetsByTimestamp` for time-based replays.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { HomeostatError } from '../../common/errors';
import { KafkaConsumer, type KafkaConsumerOptions } from './kafka-consumer';
import { kafkaConnectHint, kafkajsSecurity, kafkaSecurityFromEnv, type KafkaSecurity } from './kafka-security';
import { partitionFor } from './partitioner';
import type { AppendMessage, AppendResult, Log, LogConsumer, LogRecord, PartitionOffset, ResetTarget, TopicRetention } from './types';

const SEND_CHUNK = 2_000;

export interface KafkaLogOptions {
  brokers: readonly string[];
  clientId?: string;
  /** Partitions of topics created implicitly by `append`. Default 4. */
  defaultPartitions?: number;
  replicationFactor?: number;
  /** TLS and SASL; default: the HOMEOSTAT_KAFKA_TLS_* / HOMEOSTAT_KAFKA_SASL_* variables. */
  security?: KafkaSecurity;
}

export class KafkaLog implements Log {
  readonly kind = 'kafka' as const;
  readonly kafka: Kafka;
  private readonly defaultPartitions: number;
  private readonly replicationFactor: number;
  private admin: Admin | null = null;
  private producer: Producer | null = null;
  private connecting: Promise<void> | null = null;
  private readonly partitionCounts = new Map<string, number>();
  private readonly consumers = new Set<LogConsumer>();

  constructor(options: KafkaLogOptions) {
    if (options.brokers.length === 0) throw new HomeostatError('HS_INVALID_INPUT', 'kafka log: at least one broker is required');
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'homeostat',
      brokers: [...options.brokers],
      ...kafkajsSecurity(options.security ?? kafkaSecurityFromEnv()),
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 100 },
    });
    this.defaultPartitions = options.defaultPartitions ?? 4;
    this.replicationFactor = options.replicationFactor ?? 1;
  }

  private async connect(): Promise<{ admin: Admin; producer: Producer }> {
    if (!this.connecting) {
      this.connecting = (async () => {
        const admin = this.kafka.admin();
        const producer = this.kafka.producer({ allowAutoTopicCreation: false });
        try {
          await Promise.all([admin.connect(), producer.connect()]);
        } catch (err) {
          this.connecting = null;
          const hint = kafkaConnectHint(err);
          throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `kafka log: cannot connect${hint ? `: ${hint}` : ''}: ${(err as Error).message}`);
        }
        this.admin = admin;
        this.producer = producer;
      })();
    }
    await this.connecting;
    return { admin: this.admin as Admin, producer: this.producer as Producer };
  }

  async createTopic(topic: string, options: { partitions?: number; retention?: TopicRetention } = {}): Promise<void> {
    await this.ensureTopic(topic, options.partitions ?? this.defaultPartitions, options.retention);
  }

  /** The broker enforces the retention a topic was created with. */
  async enforceRetention(): Promise<number> {
    return 0;
  }

  private async ensureTopic(topic: string, partitions = this.defaultPartitions, retention?: TopicRetention): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined) return known;
    const { admin } = await this.connect();
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      try {
        const configEntries = [
          ...(retention?.ms !== undefined ? [{ name: 'retention.ms', value: String(retention.ms) }] : []),
          ...(retention?.bytes !== undefined ? [{ name: 'retention.bytes', value: String(retention.bytes) }] : []),
        ];
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: this.replicationFactor, configEntries }] });
      } catch (err) {
        // Two processes may race to create the same topic; losing that race is fine.
        if (!/already exists/i.test((err as Error).message)) throw err;
      }
    }
    return this.partitions(topic);
  }

  async partitions(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined) return known;
    const { admin } = await this.connect();
    let count: number;
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      count = meta.topics[0]?.partitions.length ?? 0;
    } catch {
      count = 0;
    }
    if (count === 0) throw new HomeostatError('HS_NOT_FOUND', `topic "${topic}" does not exist`);
    this.partitionCounts.set(topic, count);
    return count;
  }

  async append(topic: string, messages: readonly AppendMessage[]): Promise<AppendResult[]> {
    if (messages.length === 0) return [];
    const partitions = await this.ensureTopic(topic);
    const results: AppendResult[] = [];
    // kafkajs groups a send's messages per partition in O(n²) (it copies the partition's array per
    // message): sends of a few thousand messages keep that negligible.
    for (let i = 0; i < messages.length; i += SEND_CHUNK) {
      results.push(...(await this.send(topic, partitions, messages.slice(i, i + SEND_CHUNK))));
    }
    return results;
  }

  private async send(topic: string, partitions: number, messages: readonly AppendMessage[]): Promise<AppendResult[]> {
    const { producer } = await this.connect();
    const now = Date.now();
    const placed = messages.map((m) => m.partition ?? partitionFor(m.key, partitions));
    const meta = await producer.send({
      topic,
      acks: -1,
      messages: messages.map((m, i) => ({
        key: m.key ?? null,
        value: typeof m.value === 'string' ? Buffer.from(m.value, 'utf8') : m.value,
        timestamp: String(m.timestamp ?? now),
        headers: m.headers,
        partition: placed[i],
      })),
    });
    // kafkajs groups messages per partition, keeping their order: offset = base + rank within partition.
    const base = new Map<number, number>();
    for (const r of meta) base.set(r.partition, Number(r.baseOffset));
    const rank = new Map<number, number>();
    return placed.map((partition) => {
      const k = rank.get(partition) ?? 0;
      rank.set(partition, k + 1);
      return { partition, offset: (base.get(partition) ?? 0) + k };
    });
  }

  /** Reads through a throw-away consumer group (kafkajs has no group-less fetch API); slow, for tools and tests. */
  async read(topic: string, partition: number, offset: number, limit: number): Promise<LogRecord[]> {
    const latest = (await this.latestOffsets(topic)).find((o) => o.partition === partition)?.offset ?? 0;
    const end = Math.min(latest, offset + limit);
    if (end <= offset) return [];
    const groupId = `homeostat-read-${randomUUID()}`;
    const out: LogRecord[] = [];
    const { admin } = await this.connect();
    // Position through the assign hook: admin.setOffsets would cost a throw-away consumer's fetch wait.
    const consumer = new KafkaConsumer(this.kafka, {
      groupId,
      topics: [topic],
      autoCommit: false,
      hooks: { onAssign: (ps) => ps.filter((p) => p.partition === partition).map((p) => ({ ...p, offset })) },
    });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run(async (batch) => {
          if (batch.partition !== partition) return;
          for (const r of batch.records) if (r.offset >= offset && r.offset < end && out.length < limit) out.push(r);
          if (out.length > 0 && out[out.length - 1].offset >= end - 1) resolve();
        })
        .catch(reject);
    });
    await consumer.stop();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    return out;
  }

  async earliestOffsets(topic: string): Promise<PartitionOffset[]> {
    return (await this.topicOffsets(topic)).map((o) => ({ partition: o.partition, offset: Number(o.low) }));
  }

  async latestOffsets(topic: string): Promise<PartitionOffset[]> {
    return (await this.topicOffsets(topic)).map((o) => ({ partition: o.partition, offset: Number(o.high) }));
  }

  private async topicOffsets(topic: string): Promise<{ partition: number; low: string; high: string }[]> {
    await this.partitions(topic);
    const { admin } = await this.connect();
    return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
  }

  async committed(groupId: string, topic: string): Promise<PartitionOffset[]> {
    const { admin } = await this.connect();
    const res = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (res[0]?.partitions ?? [])
      .filter((p) => Number(p.offset) >= 0)
      .map((p) => ({ partition: p.partition, offset: Number(p.offset) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async resetGroup(groupId: string, topic: string, target: ResetTarget): Promise<PartitionOffset[]> {
    const { admin } = await this.connect();
    let offsets: PartitionOffset[];
    if (target.to === 'earliest') offsets = await this.earliestOffsets(topic);
    else if (target.to === 'latest') offsets = await this.latestOffsets(topic);
    else if (target.to === 'timestamp') {
      const latest = await this.latestOffsets(topic);
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, target.timestamp);
      // -1 means "no record at or after that time": the end of the partition, as in the embedded log.
      offsets = byTime.map((o) => ({
        partition: o.partition,
        offset: Number(o.offset) >= 0 ? Number(o.offset) : (latest.find((l) => l.partition === o.partition)?.offset ?? 0),
      }));
    } else offsets = [...target.offsets];
    try {
      await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) });
    } catch (err) {
      const message = (err as Error).message;
      if (/running/i.test(message)) {
        throw new HomeostatError('HS_REFUSED', `group "${groupId}" has running members; stop them before resetting its offsets`);
      }
      throw err;
    }
    return this.committed(groupId, topic);
  }

  async deleteRecordsBefore(topic: string, offsets: readonly PartitionOffset[]): Promise<void> {
    const { admin } = await this.connect();
    await admin.deleteTopicRecords({ topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) });
  }

  consumer(options: KafkaConsumerOptions): LogConsumer {
    const c = new KafkaConsumer(this.kafka, options);
    this.consumers.add(c);
    return c;
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.stop();
    this.consumers.clear();
    if (this.connecting) {
      await this.connecting.catch(() => undefined);
      await Promise.all([this.producer?.disconnect(), this.admin?.disconnect()]);
      this.connecting = null;
    }
  }
}
