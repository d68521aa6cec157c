/**
 * The sink: a SQLite table standing for an external database, written by idempotent upserts keyed
 * by event id — a replayed or redelivered record overwrites its own row and counts in `writes`,
 * never as a second row. The integrity check compares it with the source's ledger.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { PipelineState } from './state';

export interface SinkRow {
  id: string;
  key: string;
  ts: number;
  h: string;
  p: number;
  modelVersion: string;
}

export class SinkStore {
  readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    // No PRIMARY KEY on purpose: the unique index is what makes the upsert idempotent, and the
    // duplicate count below would reveal a sink that lost it.
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS results (id TEXT NOT NULL, key TEXT, ts INTEGER, h TEXT NOT NULL, p REAL, model_version TEXT,
        writes INTEGER NOT NULL DEFAULT 1, updated_at INTEGER NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS results_id ON results (id);
    `);
  }

  upsert(rows: readonly SinkRow[]): { inserted: number; rewritten: number } {
    const find = this.db.prepare('SELECT 1 FROM results WHERE id = ?');
    const up = this.db.prepare(`INSERT INTO results (id, key, ts, h, p, model_version, writes, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)
      ON CONFLICT (id) DO UPDATE SET key = excluded.key, ts = excluded.ts, h = excluded.h, p = excluded.p, model_version = excluded.model_version,
      writes = writes + 1, updated_at = excluded.updated_at`);
    let inserted = 0;
    let rewritten = 0;
    const now = Date.now();
    this.db.transaction(() => {
      for (const r of rows) {
        if (find.get(r.id)) rewritten++;
        else inserted++;
        up.run(r.id, r.key, r.ts, r.h, r.p, r.modelVersion, now);
      }
    }).immediate();
    return { inserted, rewritten };
  }

  /** Deletes rows (fault injection: simulated loss in the external store, repaired by replay). */
  deleteWhere(filter: { sinceTs?: number; limit?: number }): number {
    return this.db.prepare('DELETE FROM results WHERE id IN (SELECT id FROM results WHERE ts >= ? ORDER BY ts LIMIT ?)').run(filter.sinceTs ?? 0, filter.limit ?? -1).changes;
  }

  /** Event time of the newest row (0 when empty): how far the sink has caught up with the source. */
  newestTs(): number {
    return (this.db.prepare('SELECT max(ts) AS m FROM results').get() as { m: number | null }).m ?? 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export interface SinkIntegrity {
  /** Ids the source emitted, minus those deliberately set aside (quarantined, shed). */
  expected: number;
  /** Rows in the sink that belong to an expected id. */
  stored: number;
  /** Expected ids with no row. */
  lost: number;
  /** Extra rows for one id (0 for an idempotent sink). */
  duplicates: number;
  /** Rows whose id the source never emitted, or whose bytes differ from what it emitted. */
  unexpected: number;
  mismatched: number;
  quarantined: number;
  shed: number;
  /** Upserts that hit an existing row: redeliveries and replays the idempotent sink absorbed. */
  redelivered: number;
  /** sha256 over sorted (id, hash) of the sink, and of the ledger's expected set. */
  checksum: string;
  expectedChecksum: string;
  ok: boolean;
}

/**
 * Compares the sink with the ledger. `sinkFile` is attached to the state database so the
 * comparison is three SQL statements, not a million-row walk in JavaScript.
 */
export function checkSinkIntegrity(state: PipelineState, sinkFile: string, options: { before?: number } = {}): SinkIntegrity {
  const db = state.db;
  db.prepare('ATTACH DATABASE ? AS sinkdb').run(sinkFile);
  // With `before`, only events emitted earlier count: later ones may still be in flight.
  const before = Math.floor(options.before ?? Number.MAX_SAFE_INTEGER);
  try {
    const one = <T>(sql: string): T => db.prepare(sql).get() as T;
    const expected = one<{ n: number }>(`SELECT COUNT(*) AS n FROM emitted e WHERE e.ts < ${before} AND e.id NOT IN (SELECT id FROM accounted)`).n;
    const stored = one<{ n: number }>(`SELECT COUNT(DISTINCT r.id) AS n FROM sinkdb.results r JOIN emitted e ON e.id = r.id WHERE e.ts < ${before} AND e.id NOT IN (SELECT id FROM accounted)`).n;
    const duplicates = one<{ n: number }>('SELECT COUNT(*) - COUNT(DISTINCT id) AS n FROM sinkdb.results').n;
    const unexpected = one<{ n: number }>('SELECT COUNT(*) AS n FROM sinkdb.results r WHERE r.id NOT IN (SELECT id FROM emitted)').n;
    const mismatched = one<{ n: number }>('SELECT COUNT(*) AS n FROM sinkdb.results r JOIN emitted e ON e.id = r.id WHERE e.hash <> r.h').n;
    const redelivered = one<{ n: number | null }>('SELECT SUM(writes - 1) AS n FROM sinkdb.results').n ?? 0;
    const counts = state.accountedCounts();
    const hashOf = (sql: string): string => {
      const h = createHash('sha256');
      for (const row of db.prepare(sql).iterate() as Iterable<{ id: string; h: string }>) h.update(`${row.id}:${row.h}\n`);
      return h.digest('hex').slice(0, 16);
    };
    const checksum = hashOf(`SELECT r.id, r.h FROM sinkdb.results r JOIN emitted e ON e.id = r.id WHERE e.ts < ${before} AND r.id NOT IN (SELECT id FROM accounted) ORDER BY r.id`);
    const expectedChecksum = hashOf(`SELECT id, hash AS h FROM emitted WHERE ts < ${before} AND id NOT IN (SELECT id FROM accounted) ORDER BY id`);
    const lost = expected - stored;
    return {
      expected,
      stored,
      lost,
      duplicates,
      unexpected,
      mismatched,
      quarantined: counts.quarantined,
      shed: counts.shed,
      redelivered,
      checksum,
      expectedChecksum,
      ok: lost === 0 && duplicates === 0 && unexpected === 0 && checksum === expectedChecksum,
    };
  } finally {
    db.prepare('DETACH DATABASE sinkdb').run();
  }
}
