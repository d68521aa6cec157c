/**
 * The sentinel's own SQLite state file: per-partition snapshots of detector + fusion state
 * *with the offset they correspond to*, written for all partitions in one transaction, and the
 * ledger of incident actions: the ones already sent to Temporal (or dead-lettered), and — written
 * before each first send — the ones attempted. An action attempted but not recorded as sent may
 * have arrived (the process died between Temporal accepting it and the ledger recording it): the
 * dispatcher looks for it in the incident's history before sending it again.
 *
 * Because a snapshot row carries its offset, "state and offsets atomically" holds by
 * construction: a restarted (or newly assigned) sentinel restores the row and resumes reading at
 * its offset, whatever the log's committed offset says (the committed offset is only written
 * after the snapshot, so it is never ahead of it). Sentinels of one consumer group share this
 * file, so a partition's state follows the partition on a rebalance. A snapshot never replaces
 * one at a higher offset: a slow, revoked member cannot overwrite its successor's progress.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface StoredSnapshot {
  topic: string;
  partition: number;
  offset: number;
  /** A PartitionSnapshot as parsed JSON; `Engine.restorePartition` validates it. */
  snapshot: unknown;
  savedAt: number;
}

export interface SnapshotWrite {
  topic: string;
  partition: number;
  offset: number;
  snapshot: { pending: readonly { key: string }[] };
}

export interface SerializedSnapshotWrite {
  topic: string;
  partition: number;
  offset: number;
  /** A PartitionSnapshot as JSON. */
  state: string;
  pendingKeys: readonly string[];
}

export class StateStore {
  readonly db: Database.Database;
  private readonly st;

  constructor(
    file: string,
    readonly groupId: string,
  ) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file, { timeout: 15_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sentinel_snapshots (
        group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
        offset INTEGER NOT NULL, state TEXT NOT NULL, saved_at INTEGER NOT NULL,
        PRIMARY KEY (group_id, topic, partition)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS sentinel_sent (
        group_id TEXT NOT NULL, key TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
        offset INTEGER NOT NULL, sent_at INTEGER NOT NULL,
        PRIMARY KEY (group_id, key)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS sentinel_attempts (
        group_id TEXT NOT NULL, key TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
        offset INTEGER NOT NULL, attempted_at INTEGER NOT NULL,
        PRIMARY KEY (group_id, key)) WITHOUT ROWID;
    `);
    this.st = {
      load: this.db.prepare<[string, string, number], { offset: number; state: string; saved_at: number }>(
        'SELECT offset, state, saved_at FROM sentinel_snapshots WHERE group_id = ? AND topic = ? AND partition = ?',
      ),
      save: this.db.prepare(
        'INSERT INTO sentinel_snapshots (group_id, topic, partition, offset, state, saved_at) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (group_id, topic, partition) DO UPDATE SET offset = excluded.offset, state = excluded.state, saved_at = excluded.saved_at ' +
          'WHERE excluded.offset >= sentinel_snapshots.offset',
      ),
      prune: this.db.prepare(
        'DELETE FROM sentinel_sent WHERE group_id = ? AND topic = ? AND partition = ? AND offset < ? ' +
          'AND key NOT IN (SELECT value FROM json_each(?))',
      ),
      pruneAttempts: this.db.prepare(
        'DELETE FROM sentinel_attempts WHERE group_id = ? AND topic = ? AND partition = ? AND offset < ? ' +
          'AND key NOT IN (SELECT value FROM json_each(?))',
      ),
      markAttempt: this.db.prepare('INSERT OR IGNORE INTO sentinel_attempts (group_id, key, topic, partition, offset, attempted_at) VALUES (?, ?, ?, ?, ?, ?)'),
      attemptedAt: this.db.prepare<[string, string], { attempted_at: number }>('SELECT attempted_at FROM sentinel_attempts WHERE group_id = ? AND key = ?'),
      markSent: this.db.prepare('INSERT OR IGNORE INTO sentinel_sent (group_id, key, topic, partition, offset, sent_at) VALUES (?, ?, ?, ?, ?, ?)'),
      isSent: this.db.prepare<[string, string], { n: number }>('SELECT 1 AS n FROM sentinel_sent WHERE group_id = ? AND key = ?'),
      all: this.db.prepare<[string], { topic: string; partition: number; offset: number; saved_at: number }>(
        'SELECT topic, partition, offset, saved_at FROM sentinel_snapshots WHERE group_id = ? ORDER BY topic, partition',
      ),
    };
  }

  load(topic: string, partition: number): StoredSnapshot | undefined {
    const row = this.st.load.get(this.groupId, topic, partition);
    if (!row) return undefined;
    return { topic, partition, offset: row.offset, snapshot: JSON.parse(row.state) as unknown, savedAt: row.saved_at };
  }

  /** Saves every given partition's snapshot in one transaction; also prunes the sent ledger below them. */
  save(writes: readonly SnapshotWrite[]): void {
    this.saveSerialized(
      writes.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.offset, state: JSON.stringify(w.snapshot), pendingKeys: w.snapshot.pending.map((a) => a.key) })),
    );
  }

  /** As `save`, for snapshots the caller serialised itself (in slices, between other work). */
  saveSerialized(writes: readonly SerializedSnapshotWrite[]): void {
    if (writes.length === 0) return;
    const now = Date.now();
    this.db
      .transaction(() => {
        for (const w of writes) {
          this.st.save.run(this.groupId, w.topic, w.partition, w.offset, w.state, now);
          // Actions below the snapshot offset are never regenerated by a replay; only pending ones may be re-sent.
          const pending = JSON.stringify(w.pendingKeys);
          this.st.prune.run(this.groupId, w.topic, w.partition, w.offset, pending);
          this.st.pruneAttempts.run(this.groupId, w.topic, w.partition, w.offset, pending);
        }
      })
      .immediate();
  }

  markSent(key: string, topic: string, partition: number, offset: number): void {
    this.st.markSent.run(this.groupId, key, topic, partition, offset, Date.now());
  }

  /** Records, before the first send, that an action is about to go out (no-op when already recorded). */
  markAttempt(key: string, topic: string, partition: number, offset: number): void {
    this.st.markAttempt.run(this.groupId, key, topic, partition, offset, Date.now());
  }

  /** Wall time of an action's first attempt, if it was ever attempted. */
  attemptedAt(key: string): number | undefined {
    return this.st.attemptedAt.get(this.groupId, key)?.attempted_at;
  }

  isSent(key: string): boolean {
    return this.st.isSent.get(this.groupId, key) !== undefined;
  }

  /** Offsets of every stored snapshot (status output). */
  list(): { topic: string; partition: number; offset: number; savedAt: number }[] {
    return this.st.all.all(this.groupId).map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, savedAt: r.saved_at }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
