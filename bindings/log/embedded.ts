/**
 * The embedded Log: one SQLite file in WAL mode, shared safely by several processes on one host
 * (the live pipeline's source, enrich, score and sink processes and the sentinel all open it).
 *
 * Offsets are assigned inside an IMMEDIATE transaction from `log_partitions.next_offset`, so two
 * processes appending to one partition never hand out the same offset. Appends of one call are
 * one transaction (batched inserts): that is what makes the log fast, not the SQL.
 * Consumer groups (members, partition ownership, committed offsets) are tables of the same file;
 * see `embedded-consumer.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { HomeostatError } from '../../common/errors';
import { EmbeddedConsumer, type EmbeddedGroupStore } from './embedded-consumer';
import { partitionFor } from './partitioner';
import type {
  AppendMessage,
  AppendResult,
  ConsumerOptions,
  Log,
  LogConsumer,
  LogRecord,
  PartitionOffset,
  ResetTarget,
  TopicRetention,
} from './types';

export interface EmbeddedLogOptions {
  /** SQLite file; created with its directory when missing. `:memory:` works for one process. */
  file: string;
  /** Partitions of topics created implicitly by `append`. Default 4. */
  defaultPartitions?: number;
  /** `normal` survives process crashes (WAL); `full` also survives power loss. Default normal. */
  synchronous?: 'normal' | 'full';
}

interface RecordRow {
  offset: number;
  key: string | null;
  value: Buffer;
  ts: number;
  headers: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log_topics (name TEXT PRIMARY KEY, partitions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_partitions (
  topic TEXT NOT NULL, partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL DEFAULT 0, start_offset INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (topic, partition)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_records (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
  key TEXT, value BLOB NOT NULL, ts INTEGER NOT NULL, headers TEXT,
  PRIMARY KEY (topic, partition, offset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_group_offsets (
  group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic, partition)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_group_members (
  group_id TEXT NOT NULL, member_id TEXT NOT NULL, topics TEXT NOT NULL, heartbeat_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, member_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_group_owners (
  group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, member_id TEXT NOT NULL,
  PRIMARY KEY (group_id, topic, partition)) WITHOUT ROWID;
`;

function checkTopic(topic: string): void {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    throw new HomeostatError('HS_INVALID_INPUT', `topic "${topic}" is invalid: use 1–249 characters of A-Z a-z 0-9 . _ -`);
  }
}

export class EmbeddedLog implements Log, EmbeddedGroupStore {
  readonly kind = 'embedded' as const;
  readonly db: Database.Database;
  private readonly defaultPartitions: number;
  private readonly consumers = new Set<LogConsumer>();
  // Prepared once: preparing per call would dominate small appends.
  private readonly st: ReturnType<EmbeddedLog['prepare']>;
  private readonly appendTx: (topic: string, messages: readonly AppendMessage[]) => AppendResult[];

  constructor(options: EmbeddedLogOptions) {
    if (options.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    this.db = new Database(options.file, { timeout: 15_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.exec(SCHEMA);
    this.defaultPartitions = options.defaultPartitions ?? 4;
    this.st = this.prepare();
    const tx = this.db.transaction((topic: string, messages: readonly AppendMessage[]) => this.appendInTx(topic, messages));
    this.appendTx = (topic, messages) => tx.immediate(topic, messages);
  }

  private prepare() {
    const db = this.db;
    return {
      topic: db.prepare<[string], { partitions: number }>('SELECT partitions FROM log_topics WHERE name = ?'),
      insertTopic: db.prepare('INSERT OR IGNORE INTO log_topics (name, partitions) VALUES (?, ?)'),
      insertPartition: db.prepare('INSERT OR IGNORE INTO log_partitions (topic, partition) VALUES (?, ?)'),
      heads: db.prepare<[string], { partition: number; next_offset: number; start_offset: number }>(
        'SELECT partition, next_offset, start_offset FROM log_partitions WHERE topic = ? ORDER BY partition',
      ),
      setHead: db.prepare('UPDATE log_partitions SET next_offset = ? WHERE topic = ? AND partition = ?'),
      insertRecord: db.prepare('INSERT INTO log_records (topic, partition, offset, key, value, ts, headers) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      read: db.prepare<[string, number, number, number], RecordRow>(
        'SELECT offset, key, value, ts, headers FROM log_records WHERE topic = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?',
      ),
      firstAtTime: db.prepare<[string, number, number], { o: number | null }>(
        'SELECT MIN(offset) AS o FROM log_records WHERE topic = ? AND partition = ? AND ts >= ?',
      ),
      committed: db.prepare<[string, string], PartitionOffset>(
        'SELECT partition, offset FROM log_group_offsets WHERE group_id = ? AND topic = ? ORDER BY partition',
      ),
      commit: db.prepare(
        'INSERT INTO log_group_offsets (group_id, topic, partition, offset) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (group_id, topic, partition) DO UPDATE SET offset = excluded.offset',
      ),
      deleteBefore: db.prepare('DELETE FROM log_records WHERE topic = ? AND partition = ? AND offset < ?'),
      setStart: db.prepare('UPDATE log_partitions SET start_offset = MAX(start_offset, ?) WHERE topic = ? AND partition = ?'),
      firstAtOrAfter: db.prepare<[string, number, number], { offset: number }>(
        'SELECT offset FROM log_records WHERE topic = ? AND partition = ? AND ts >= ? ORDER BY offset LIMIT 1',
      ),
      partitionBytes: db.prepare<[string, number], { n: number | null }>('SELECT SUM(length(value)) AS n FROM log_records WHERE topic = ? AND partition = ?'),
      sizesFrom: db.prepare<[string, number], { offset: number; n: number }>('SELECT offset, length(value) AS n FROM log_records WHERE topic = ? AND partition = ? ORDER BY offset'),
      activeMembers: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM log_group_members WHERE group_id = ?'),
    };
  }

  async createTopic(topic: string, options: { partitions?: number; retention?: TopicRetention } = {}): Promise<void> {
    this.ensureTopic(topic, options.partitions ?? this.defaultPartitions);
  }

  /** Creates the topic when missing and returns its partition count. */
  ensureTopic(topic: string, partitions = this.defaultPartitions): number {
    const existing = this.st.topic.get(topic);
    if (existing) return existing.partitions;
    checkTopic(topic);
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new HomeostatError('HS_INVALID_INPUT', `partitions must be an integer ≥ 1, got ${partitions}`);
    }
    this.db.transaction(() => {
      this.st.insertTopic.run(topic, partitions);
      for (let p = 0; p < partitions; p++) this.st.insertPartition.run(topic, p);
    }).immediate();
    return (this.st.topic.get(topic) as { partitions: number }).partitions;
  }

  async partitions(topic: string): Promise<number> {
    return this.partitionCount(topic);
  }

  partitionCount(topic: string): number {
    const row = this.st.topic.get(topic);
    if (!row) throw new HomeostatError('HS_NOT_FOUND', `topic "${topic}" does not exist`);
    return row.partitions;
  }

  async append(topic: string, messages: readonly AppendMessage[]): Promise<AppendResult[]> {
    return this.appendSync(topic, messages);
  }

  /** Synchronous append, for callers that must write inside their own control flow. */
  appendSync(topic: string, messages: readonly AppendMessage[]): AppendResult[] {
    if (messages.length === 0) return [];
    this.ensureTopic(topic);
    return this.appendTx(topic, messages);
  }

  private appendInTx(topic: string, messages: readonly AppendMessage[]): AppendResult[] {
    const partitions = this.partitionCount(topic);
    const heads = new Map<number, number>();
    for (const h of this.st.heads.all(topic)) heads.set(h.partition, h.next_offset);
    const now = Date.now();
    const results: AppendResult[] = [];
    for (const m of messages) {
      const partition = m.partition ?? partitionFor(m.key, partitions);
      const offset = heads.get(partition);
      if (offset === undefined) {
        throw new HomeostatError('HS_INVALID_INPUT', `topic "${topic}" has no partition ${partition} (it has ${partitions})`);
      }
      const value = typeof m.value === 'string' ? Buffer.from(m.value, 'utf8') : m.value;
      const headers = m.headers && Object.keys(m.headers).length > 0 ? JSON.stringify(m.headers) : null;
      this.st.insertRecord.run(topic, partition, offset, m.key ?? null, value, m.timestamp ?? now, headers);
      heads.set(partition, offset + 1);
      results.push({ partition, offset });
    }
    for (const [partition, next] of heads) this.st.setHead.run(next, topic, partition);
    return results;
  }

  async read(topic: string, partition: number, offset: number, limit: number): Promise<LogRecord[]> {
    return this.readSync(topic, partition, offset, limit);
  }

  readSync(topic: string, partition: number, offset: number, limit: number): LogRecord[] {
    const rows = this.st.read.all(topic, partition, offset, limit);
    const out: LogRecord[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      out[i] = {
        topic,
        partition,
        offset: r.offset,
        key: r.key,
        value: r.value,
        timestamp: r.ts,
        headers: r.headers === null ? EMPTY_HEADERS : (JSON.parse(r.headers) as Record<string, string>),
      };
    }
    return out;
  }

  /** next_offset and start_offset of every partition (one query, used by the poll loop). */
  heads(topic: string): { partition: number; next_offset: number; start_offset: number }[] {
    return this.st.heads.all(topic);
  }

  async earliestOffsets(topic: string): Promise<PartitionOffset[]> {
    this.partitionCount(topic);
    return this.heads(topic).map((h) => ({ partition: h.partition, offset: h.start_offset }));
  }

  async latestOffsets(topic: string): Promise<PartitionOffset[]> {
    this.partitionCount(topic);
    return this.heads(topic).map((h) => ({ partition: h.partition, offset: h.next_offset }));
  }

  async committed(groupId: string, topic: string): Promise<PartitionOffset[]> {
    return this.committedSync(groupId, topic);
  }

  committedSync(groupId: string, topic: string): PartitionOffset[] {
    return this.st.committed.all(groupId, topic);
  }

  commitSync(groupId: string, offsets: readonly { topic: string; partition: number; offset: number }[]): void {
    this.db.transaction(() => {
      for (const o of offsets) this.st.commit.run(groupId, o.topic, o.partition, o.offset);
    }).immediate();
  }

  /** Offset of the first record with timestamp ≥ `timestamp` per partition (end of partition if none). */
  offsetsForTimestamp(topic: string, timestamp: number): PartitionOffset[] {
    return this.heads(topic).map((h) => {
      const row = this.st.firstAtTime.get(topic, h.partition, timestamp);
      return { partition: h.partition, offset: row?.o ?? h.next_offset };
    });
  }

  async resetGroup(groupId: string, topic: string, target: ResetTarget): Promise<PartitionOffset[]> {
    this.partitionCount(topic);
    if ((this.st.activeMembers.get(groupId)?.n ?? 0) > 0) {
      throw new HomeostatError('HS_REFUSED', `group "${groupId}" has running members; stop them before resetting its offsets`);
    }
    let offsets: PartitionOffset[];
    if (target.to === 'earliest') offsets = await this.earliestOffsets(topic);
    else if (target.to === 'latest') offsets = await this.latestOffsets(topic);
    else if (target.to === 'timestamp') offsets = this.offsetsForTimestamp(topic, target.timestamp);
    else offsets = [...target.offsets];
    this.commitSync(groupId, offsets.map((o) => ({ topic, ...o })));
    return this.committedSync(groupId, topic);
  }

  async deleteRecordsBefore(topic: string, offsets: readonly PartitionOffset[]): Promise<void> {
    this.partitionCount(topic);
    for (const o of offsets) this.deleteBefore(topic, o.partition, o.offset);
  }

  async enforceRetention(topic: string, retention: TopicRetention): Promise<number> {
    return this.enforceRetentionSync(topic, retention, Date.now());
  }

  /** `enforceRetention` at a given wall time (tests pass their own). */
  enforceRetentionSync(topic: string, retention: TopicRetention, now: number): number {
    if (!this.st.topic.get(topic)) return 0;
    let deleted = 0;
    for (const h of this.heads(topic)) {
      let cut = h.start_offset;
      if (retention.ms !== undefined) {
        // Records are appended in time order (the log stamps them), so the first one young enough
        // bounds what has expired; a partition with none keeps nothing.
        cut = Math.max(cut, this.st.firstAtOrAfter.get(topic, h.partition, now - retention.ms)?.offset ?? h.next_offset);
      }
      if (retention.bytes !== undefined) {
        let excess = (this.st.partitionBytes.get(topic, h.partition)?.n ?? 0) - retention.bytes;
        if (excess > 0) {
          for (const r of this.st.sizesFrom.iterate(topic, h.partition)) {
            if (excess <= 0) break;
            excess -= r.n;
            cut = Math.max(cut, r.offset + 1);
          }
        }
      }
      if (cut > h.start_offset) {
        deleted += this.deleteBefore(topic, h.partition, cut);
      }
    }
    return deleted;
  }

  private deleteBefore(topic: string, partition: number, offset: number): number {
    return this.db
      .transaction(() => {
        const n = this.st.deleteBefore.run(topic, partition, offset).changes;
        this.st.setStart.run(offset, topic, partition);
        return n;
      })
      .immediate();
  }

  consumer(options: ConsumerOptions): LogConsumer {
    const c = new EmbeddedConsumer(this, options);
    this.consumers.add(c);
    return c;
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.stop();
    this.consumers.clear();
    if (this.db.open) this.db.close();
  }
}

const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
