/**
 * A consumer-group member on the embedded log.
 *
 * Membership works like a tiny Kafka group coordinator kept in SQLite: every member heartbeats
 * a row in `log_group_members`; members silent for `sessionTimeoutMs` are expired (a SIGKILLed
 * process). The target assignment is a pure function of the live members (sorted ids, partitions
 * dealt round-robin), and a partition changes hands only through `log_group_owners`: the old
 * owner revokes it (its `onRevoke` runs first, so its state is snapshotted) and deletes the row,
 * then the new owner claims it. So no partition is ever processed by two members at once.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type {
  BatchHandler,
  ConsumerOptions,
  LogConsumer,
  LogRecord,
  PartitionOffset,
  TopicPartition,
  TopicPartitionOffset,
} from './types';

/** What a consumer needs from the embedded log (kept narrow so the two files do not import each other). */
export interface EmbeddedGroupStore {
  readonly db: Database.Database;
  ensureTopic(topic: string): number;
  heads(topic: string): { partition: number; next_offset: number; start_offset: number }[];
  readSync(topic: string, partition: number, offset: number, limit: number): LogRecord[];
  committedSync(groupId: string, topic: string): PartitionOffset[];
  commitSync(groupId: string, offsets: readonly TopicPartitionOffset[]): void;
}

/** Embedded-only knobs, accepted on top of ConsumerOptions. */
export interface EmbeddedConsumerOptions extends ConsumerOptions {
  /** Stable member id: a restarted process with the same id takes its partitions back at once. */
  memberId?: string;
  heartbeatMs?: number;
  sessionTimeoutMs?: number;
  /** Sleep between polls when no partition had new records. Default 20 ms. */
  pollMs?: number;
}

interface Owned {
  topic: string;
  partition: number;
  position: number;
  paused: boolean;
  /** Set by seek(); wins over the position computed after the batch that was in flight. */
  seekTo: number | null;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class EmbeddedConsumer implements LogConsumer {
  readonly groupId: string;
  readonly memberId: string;
  private readonly opts: Required<Pick<EmbeddedConsumerOptions, 'heartbeatMs' | 'sessionTimeoutMs' | 'pollMs' | 'maxBatchRecords'>>;
  private readonly owned = new Map<string, Owned>();
  private handler: BatchHandler | null = null;
  private running = false;
  private lastHeartbeat = 0;
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private readonly st;

  constructor(
    private readonly store: EmbeddedGroupStore,
    private readonly options: EmbeddedConsumerOptions,
  ) {
    this.groupId = options.groupId;
    this.memberId = options.memberId ?? randomUUID();
    this.opts = {
      heartbeatMs: options.heartbeatMs ?? 500,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 6_000,
      pollMs: options.pollMs ?? 20,
      maxBatchRecords: options.maxBatchRecords ?? 5_000,
    };
    const db = store.db;
    this.st = {
      heartbeat: db.prepare(
        'INSERT INTO log_group_members (group_id, member_id, topics, heartbeat_at) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (group_id, member_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, topics = excluded.topics',
      ),
      expireMembers: db.prepare('DELETE FROM log_group_members WHERE group_id = ? AND heartbeat_at < ?'),
      orphanOwners: db.prepare(
        'DELETE FROM log_group_owners WHERE group_id = ? AND member_id NOT IN (SELECT member_id FROM log_group_members WHERE group_id = ?)',
      ),
      members: db.prepare<[string], { member_id: string; topics: string }>(
        'SELECT member_id, topics FROM log_group_members WHERE group_id = ? ORDER BY member_id',
      ),
      claim: db.prepare('INSERT INTO log_group_owners (group_id, topic, partition, member_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      owner: db.prepare<[string, string, number], { member_id: string }>(
        'SELECT member_id FROM log_group_owners WHERE group_id = ? AND topic = ? AND partition = ?',
      ),
      release: db.prepare('DELETE FROM log_group_owners WHERE group_id = ? AND topic = ? AND partition = ? AND member_id = ?'),
      leave: db.prepare('DELETE FROM log_group_members WHERE group_id = ? AND member_id = ?'),
      releaseAll: db.prepare('DELETE FROM log_group_owners WHERE group_id = ? AND member_id = ?'),
    };
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.running) return;
    for (const t of this.options.topics) this.store.ensureTopic(t);
    this.handler = handler;
    this.running = true;
    await this.rebalance();
    this.schedule(0);
  }

  assignment(): TopicPartition[] {
    return [...this.owned.values()].map((o) => ({ topic: o.topic, partition: o.partition }));
  }

  pause(partitions?: readonly TopicPartition[]): void {
    this.setPaused(partitions, true);
  }

  resume(partitions?: readonly TopicPartition[]): void {
    this.setPaused(partitions, false);
  }

  private setPaused(partitions: readonly TopicPartition[] | undefined, paused: boolean): void {
    if (!partitions) {
      for (const o of this.owned.values()) o.paused = paused;
      return;
    }
    for (const p of partitions) {
      const o = this.owned.get(key(p.topic, p.partition));
      if (o) o.paused = paused;
    }
  }

  seek(position: TopicPartitionOffset): void {
    const o = this.owned.get(key(position.topic, position.partition));
    if (o) {
      o.position = position.offset;
      o.seekTo = position.offset;
    }
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.store.commitSync(this.groupId, offsets);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.loop;
    const all = this.assignment();
    if (all.length > 0) await this.options.hooks?.onRevoke?.(all);
    this.owned.clear();
    if (this.store.db.open) {
      this.st.releaseAll.run(this.groupId, this.memberId);
      this.st.leave.run(this.groupId, this.memberId);
    }
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.loop = this.tick()
        .then((delivered) => this.schedule(delivered > 0 ? 0 : this.opts.pollMs))
        .catch((err: unknown) => {
          // A failing handler must not kill the member: report, back off, re-deliver from the same position.
          process.stderr.write(`embedded log consumer ${this.groupId}: ${err instanceof Error ? err.message : String(err)}\n`);
          this.schedule(Math.max(this.opts.pollMs, 200));
        });
    }, delay);
  }

  private async tick(): Promise<number> {
    if (Date.now() - this.lastHeartbeat >= this.opts.heartbeatMs) await this.rebalance();
    let delivered = 0;
    for (const topic of this.options.topics) {
      const heads = this.store.heads(topic);
      for (const h of heads) {
        if (!this.running) return delivered;
        const o = this.owned.get(key(topic, h.partition));
        if (!o || o.paused) continue;
        if (o.position < h.start_offset) o.position = h.start_offset; // retention removed what we had not read
        if (h.next_offset <= o.position) continue;
        const records = this.store.readSync(topic, h.partition, o.position, this.opts.maxBatchRecords);
        if (records.length === 0) continue;
        o.seekTo = null;
        await this.handler?.({ topic, partition: h.partition, records, highWatermark: h.next_offset });
        if (!this.owned.has(key(topic, h.partition))) continue; // revoked while the handler ran
        const next = records[records.length - 1].offset + 1;
        if (o.seekTo === null) o.position = next;
        if (this.options.autoCommit !== false) this.store.commitSync(this.groupId, [{ topic, partition: h.partition, offset: o.position }]);
        delivered += records.length;
      }
    }
    return delivered;
  }

  /** Heartbeat, expire dead members, and move partitions towards the target assignment. */
  private async rebalance(): Promise<void> {
    const now = Date.now();
    this.lastHeartbeat = now;
    const db = this.store.db;
    const members = db
      .transaction(() => {
        this.st.heartbeat.run(this.groupId, this.memberId, JSON.stringify(this.options.topics), now);
        this.st.expireMembers.run(this.groupId, now - this.opts.sessionTimeoutMs);
        this.st.orphanOwners.run(this.groupId, this.groupId);
        return this.st.members.all(this.groupId);
      })
      .immediate();

    const target = new Set<string>();
    for (const topic of this.options.topics) {
      const subscribers = members.filter((m) => (JSON.parse(m.topics) as string[]).includes(topic)).map((m) => m.member_id);
      const heads = this.store.heads(topic);
      for (const h of heads) {
        if (subscribers[h.partition % subscribers.length] === this.memberId) target.add(key(topic, h.partition));
      }
    }

    const revoked = [...this.owned.entries()].filter(([k]) => !target.has(k)).map(([, o]) => ({ topic: o.topic, partition: o.partition }));
    if (revoked.length > 0) {
      await this.options.hooks?.onRevoke?.(revoked);
      db.transaction(() => {
        for (const r of revoked) {
          this.st.release.run(this.groupId, r.topic, r.partition, this.memberId);
          this.owned.delete(key(r.topic, r.partition));
        }
      }).immediate();
    }

    const claimed: TopicPartition[] = db
      .transaction(() => {
        const got: TopicPartition[] = [];
        for (const k of target) {
          if (this.owned.has(k)) continue;
          const [topic, p] = k.split('\u0000');
          const partition = Number(p);
          this.st.claim.run(this.groupId, topic, partition, this.memberId);
          if (this.st.owner.get(this.groupId, topic, partition)?.member_id === this.memberId) got.push({ topic, partition });
        }
        return got;
      })
      .immediate();
    if (claimed.length === 0) return;

    const seeks = (await this.options.hooks?.onAssign?.(claimed)) ?? [];
    for (const c of claimed) {
      const seek = seeks.find((s) => s.topic === c.topic && s.partition === c.partition);
      const committed = this.store.committedSync(this.groupId, c.topic).find((o) => o.partition === c.partition);
      const head = this.store.heads(c.topic).find((h) => h.partition === c.partition);
      const fallback = this.options.fromBeginning === false ? (head?.next_offset ?? 0) : (head?.start_offset ?? 0);
      const position = seek?.offset ?? committed?.offset ?? fallback;
      this.owned.set(key(c.topic, c.partition), { ...c, position, paused: false, seekTo: null });
    }
  }
}
