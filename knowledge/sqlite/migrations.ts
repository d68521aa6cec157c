/**
 * Versioned schema migrations of the SQLite backend. Each runs once and is recorded in
 * `schema_migrations`; reopening a database applies only what is missing, and a database that a
 * newer Homeostat migrated further is refused (knowledge/schema-version.ts). Never edit a shipped
 * migration: add the next one (the PostgreSQL backend keeps its own list, knowledge/postgres/).
 */
import type Database from 'better-sqlite3';
import { pendingMigrations, type VersionedMigration } from '../schema-version';

export interface Migration extends VersionedMigration {
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE policies (
        version INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256 TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE pipelines (
        name TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE cases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        component TEXT NOT NULL,
        fault_class TEXT NOT NULL,
        layer TEXT,
        severity TEXT NOT NULL,
        mode TEXT NOT NULL,
        evidence TEXT NOT NULL,
        plan TEXT NOT NULL,
        alternatives TEXT NOT NULL,
        action TEXT NOT NULL,
        attempts TEXT NOT NULL,
        outcome TEXT NOT NULL,
        ttd_ms INTEGER,
        mttm_ms INTEGER,
        mttr_ms INTEGER,
        explanation TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX cases_by_fault ON cases (fault_class, pipeline, created_at);
      CREATE INDEX cases_by_incident ON cases (incident_id);
      CREATE TABLE q_table (
        state TEXT NOT NULL,
        action TEXT NOT NULL,
        value REAL NOT NULL,
        visits INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (state, action)
      );
      CREATE TABLE leases (
        resource TEXT PRIMARY KEY,
        pipeline TEXT NOT NULL,
        holder TEXT,
        token INTEGER NOT NULL,
        acquired_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE actuations (
        idempotency_key TEXT PRIMARY KEY,
        incident_id TEXT NOT NULL,
        step TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        action TEXT NOT NULL,
        resource TEXT NOT NULL,
        detail TEXT,
        status TEXT NOT NULL CHECK (status IN ('started', 'done')),
        result TEXT,
        recorded_at INTEGER NOT NULL,
        completed_at INTEGER
      );
      CREATE TABLE action_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        pipeline TEXT NOT NULL,
        resource TEXT NOT NULL,
        action TEXT NOT NULL,
        incident_id TEXT NOT NULL
      );
      CREATE INDEX action_history_by_time ON action_history (at);
      CREATE TABLE shadow_records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        fault_class TEXT NOT NULL,
        would_do TEXT NOT NULL,
        final_action TEXT,
        resolved INTEGER NOT NULL DEFAULT 0,
        at INTEGER NOT NULL
      );
      CREATE INDEX shadow_by_key ON shadow_records (pipeline, fault_class, at);
      CREATE TABLE modes (
        pipeline TEXT NOT NULL,
        fault_class TEXT NOT NULL,
        mode TEXT NOT NULL,
        reason TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (pipeline, fault_class)
      );
      CREATE TABLE schema_versions (
        subject TEXT NOT NULL,
        version INTEGER NOT NULL,
        schema TEXT NOT NULL,
        fingerprint TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (subject, version)
      );
      CREATE TABLE schema_pins (subject TEXT PRIMARY KEY, version INTEGER NOT NULL);
      CREATE TABLE model_versions (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        uri TEXT NOT NULL,
        metrics TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (name, version)
      );
      CREATE TABLE model_pins (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
      CREATE TABLE lineage_nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, attrs TEXT);
      CREATE TABLE lineage_edges (
        src TEXT NOT NULL,
        dst TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (src, dst, kind)
      );
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      -- Append-only: the chain detects tampering; these triggers stop accidents.
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
  },
  {
    version: 2,
    name: 'exactly-once-keys',
    sql: `
      -- One action-history row per execute attempt, whatever its retries (failed repairs count too).
      ALTER TABLE action_history ADD COLUMN idempotency_key TEXT;
      CREATE UNIQUE INDEX action_history_by_key ON action_history (idempotency_key) WHERE idempotency_key IS NOT NULL;
      -- One case per incident run, however often learn is retried.
      ALTER TABLE cases ADD COLUMN run_key TEXT;
      CREATE UNIQUE INDEX cases_by_run ON cases (run_key) WHERE run_key IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'workload-replicas',
    sql: `
      -- The replica count a workload had before a repair scaled or stopped it: a start or a
      -- scale-back in any worker, after any restart, restores it.
      CREATE TABLE workload_replicas (
        resource TEXT PRIMARY KEY,
        replicas INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'outcome-samples',
    sql: `
      -- What each attempted action measurably did (policies/outcomes.ts): the learned E[C], E[R],
      -- SLO_lat and SLO_loss are estimated from these rows. NULL: the figure was not measured.
      CREATE TABLE outcome_samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id TEXT NOT NULL,
        run_id TEXT,
        pipeline TEXT NOT NULL,
        component TEXT NOT NULL,
        fault_class TEXT NOT NULL,
        layer TEXT,
        action TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        duration_ms INTEGER,
        health_before REAL,
        health_during REAL,
        health_after REAL,
        slo_latency_ms INTEGER,
        slo_quality_ms INTEGER,
        slo_loss_ms INTEGER,
        latency_added_ms REAL,
        loss_added REAL,
        verdict TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX outcome_samples_by_signature ON outcome_samples (fault_class, action, at);
    `,
  },
];

/**
 * Applies every migration newer than the database; returns the versions applied now. Throws
 * HS_SCHEMA_TOO_NEW, before changing anything, when the database is newer than `migrations`.
 */
export function migrate(db: Database.Database, now: number, migrations: readonly Migration[] = MIGRATIONS, where = db.name): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied: number[] = [];
  // IMMEDIATE: two processes opening a fresh file at once must not both run migration 1.
  const run = db.transaction(() => {
    const current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    for (const m of pendingMigrations(where, current, migrations)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now);
      applied.push(m.version);
    }
  });
  run.immediate();
  return applied;
}
