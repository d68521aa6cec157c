/**
 * The pipeline's shared state file (`pipeline.db`, SQLite WAL, shared by every process of the
 * pipeline, the injector and the repair templates):
 *  - the **control channel**: `faults` (injected faults each process polls) and `settings`
 *    (knobs repairs turn: quarantine on, shedding ratio, field maps, restore-from checkpoint);
 *  - `status`: one heartbeat row per process instance (pid, positions, counters);
 *  - the **emission ledger**: every id the source emitted with the hash of its bytes, and every id
 *    deliberately set aside (quarantined, shed) — what the sink integrity check compares against;
 *  - the model's memory: predictions and labelled examples (features + label) for retraining.
 * A polling file is the control channel on purpose: it survives process restarts, needs no ports,
 * and a CLI in another terminal reaches the same processes.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';

export interface FaultRow {
  id: string;
  kind: string;
  component: string;
  params: Record<string, unknown>;
  createdAt: number;
  expiresAt: number | null;
  clearedAt: number | null;
  /** Instance that consumed a one-shot fault (crash, hang, memory growth). */
  consumedBy: string | null;
}

export interface StatusRow {
  component: string;
  instance: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
  info: Record<string, unknown>;
}

export type OrchestrationOp = 'restart' | 'scale' | 'stop' | 'start';

export type AccountedKind = 'quarantined' | 'shed';

export interface Example {
  id: string;
  features: number[];
  label: number;
  labelledAt: number;
}

export class PipelineState {
  readonly db: Database.Database;

  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS faults (id TEXT PRIMARY KEY, kind TEXT NOT NULL, component TEXT NOT NULL, params TEXT NOT NULL,
        created_at INTEGER NOT NULL, expires_at INTEGER, cleared_at INTEGER, consumed_by TEXT);
      CREATE TABLE IF NOT EXISTS settings (component TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
        PRIMARY KEY (component, key));
      CREATE TABLE IF NOT EXISTS status (component TEXT NOT NULL, instance TEXT NOT NULL, pid INTEGER NOT NULL, started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL, info TEXT NOT NULL, PRIMARY KEY (component, instance));
      CREATE TABLE IF NOT EXISTS emitted (id TEXT PRIMARY KEY, hash TEXT NOT NULL, ts INTEGER NOT NULL, priority TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS accounted (id TEXT PRIMARY KEY, kind TEXT NOT NULL, component TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS predictions (id TEXT PRIMARY KEY, features TEXT NOT NULL, p REAL NOT NULL, model_version TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS examples (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, features TEXT NOT NULL, label INTEGER NOT NULL,
        correct INTEGER NOT NULL, model_version TEXT NOT NULL, labelled_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, component TEXT NOT NULL, args TEXT NOT NULL,
        idempotency_key TEXT UNIQUE, created_at INTEGER NOT NULL, done_at INTEGER, result TEXT);
    `);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- faults (control channel) ----

  addFault(kind: string, component: string, params: Record<string, unknown>, durationMs?: number): FaultRow {
    const now = Date.now();
    const row: FaultRow = {
      id: `fault-${randomUUID().slice(0, 8)}`,
      kind,
      component,
      params,
      createdAt: now,
      expiresAt: durationMs ? now + durationMs : null,
      clearedAt: null,
      consumedBy: null,
    };
    this.db
      .prepare('INSERT INTO faults VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)')
      .run(row.id, kind, component, JSON.stringify(params), row.createdAt, row.expiresAt);
    return row;
  }

  /** Faults in force for a component: not cleared, not expired, not consumed by another instance. */
  activeFaults(component: string, now = Date.now()): FaultRow[] {
    const rows = this.db
      .prepare('SELECT * FROM faults WHERE component = ? AND cleared_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at')
      .all(component, now) as RawFault[];
    return rows.map(toFault);
  }

  allFaults(): FaultRow[] {
    return (this.db.prepare('SELECT * FROM faults ORDER BY created_at').all() as RawFault[]).map(toFault);
  }

  /** Claims a one-shot fault for one instance; false when another instance got it first. */
  consumeFault(id: string, instance: string): boolean {
    return this.db.prepare('UPDATE faults SET consumed_by = ? WHERE id = ? AND consumed_by IS NULL').run(instance, id).changes === 1;
  }

  clearFaults(filter: { component?: string; kind?: string; id?: string } = {}): number {
    const now = Date.now();
    const clauses = ['cleared_at IS NULL'];
    const args: (string | number)[] = [now];
    for (const col of ['component', 'kind', 'id'] as const) {
      const v = filter[col];
      if (v) {
        clauses.push(`${col} = ?`);
        args.push(v);
      }
    }
    return this.db.prepare(`UPDATE faults SET cleared_at = ? WHERE ${clauses.join(' AND ')}`).run(...args).changes;
  }

  // ---- settings (control channel) ----

  setSetting(component: string, key: string, value: unknown): void {
    this.db
      .prepare('INSERT INTO settings VALUES (?, ?, ?, ?) ON CONFLICT (component, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(component, key, JSON.stringify(value), Date.now());
  }

  deleteSetting(component: string, key: string): void {
    this.db.prepare('DELETE FROM settings WHERE component = ? AND key = ?').run(component, key);
  }

  settings(component: string): Record<string, unknown> {
    const rows = this.db.prepare('SELECT key, value FROM settings WHERE component = ?').all(component) as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
  }

  // ---- orchestration requests (other processes → the pipeline host's supervisor) ----

  /** Queues an operation for the host; the same idempotency key queues it once. Returns its id. */
  request(op: OrchestrationOp, component: string, args: Record<string, unknown>, idempotencyKey?: string): number {
    this.db
      .prepare('INSERT OR IGNORE INTO requests (op, component, args, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(op, component, JSON.stringify(args), idempotencyKey ?? null, Date.now());
    const row = (idempotencyKey
      ? this.db.prepare('SELECT id FROM requests WHERE idempotency_key = ?').get(idempotencyKey)
      : this.db.prepare('SELECT MAX(id) AS id FROM requests').get()) as { id: number };
    return row.id;
  }

  pendingRequests(): { id: number; op: OrchestrationOp; component: string; args: Record<string, unknown> }[] {
    const rows = this.db.prepare('SELECT id, op, component, args FROM requests WHERE done_at IS NULL ORDER BY id').all() as { id: number; op: OrchestrationOp; component: string; args: string }[];
    return rows.map((r) => ({ ...r, args: JSON.parse(r.args) as Record<string, unknown> }));
  }

  completeRequest(id: number, result: Record<string, unknown>): void {
    this.db.prepare('UPDATE requests SET done_at = ?, result = ? WHERE id = ?').run(Date.now(), JSON.stringify(result), id);
  }

  requestResult(id: number): Record<string, unknown> | undefined {
    const row = this.db.prepare('SELECT result FROM requests WHERE id = ? AND done_at IS NOT NULL').get(id) as { result: string } | undefined;
    return row ? (JSON.parse(row.result) as Record<string, unknown>) : undefined;
  }

  // ---- status ----

  heartbeat(row: StatusRow): void {
    this.db
      .prepare('INSERT INTO status VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (component, instance) DO UPDATE SET pid = excluded.pid, heartbeat_at = excluded.heartbeat_at, info = excluded.info')
      .run(row.component, row.instance, row.pid, row.startedAt, row.heartbeatAt, JSON.stringify(row.info));
  }

  removeStatus(component: string, instance: string): void {
    this.db.prepare('DELETE FROM status WHERE component = ? AND instance = ?').run(component, instance);
  }

  statuses(component?: string): StatusRow[] {
    const rows = (component
      ? this.db.prepare('SELECT * FROM status WHERE component = ?').all(component)
      : this.db.prepare('SELECT * FROM status').all()) as { component: string; instance: string; pid: number; started_at: number; heartbeat_at: number; info: string }[];
    return rows.map((r) => ({ component: r.component, instance: r.instance, pid: r.pid, startedAt: r.started_at, heartbeatAt: r.heartbeat_at, info: JSON.parse(r.info) as Record<string, unknown> }));
  }

  // ---- ledger ----

  recordEmitted(rows: readonly { id: string; hash: string; ts: number; priority: string }[]): void {
    const ins = this.db.prepare('INSERT OR IGNORE INTO emitted VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of rows) ins.run(r.id, r.hash, r.ts, r.priority);
    }).immediate();
  }

  recordAccounted(rows: readonly { id: string; kind: AccountedKind; component: string; reason: string }[]): void {
    const ins = this.db.prepare('INSERT OR IGNORE INTO accounted VALUES (?, ?, ?, ?, ?)');
    const now = Date.now();
    this.db.transaction(() => {
      for (const r of rows) ins.run(r.id, r.kind, r.component, r.reason, now);
    }).immediate();
  }

  /** Removes ids from the accounted set (e.g. after shed records were replayed into the sink). */
  unaccount(kind: AccountedKind, ids?: readonly string[]): number {
    if (!ids) return this.db.prepare('DELETE FROM accounted WHERE kind = ?').run(kind).changes;
    const del = this.db.prepare('DELETE FROM accounted WHERE kind = ? AND id = ?');
    let n = 0;
    this.db.transaction(() => {
      for (const id of ids) n += del.run(kind, id).changes;
    }).immediate();
    return n;
  }

  emittedCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM emitted').get() as { n: number }).n;
  }

  accountedCounts(): Record<AccountedKind, number> {
    const rows = this.db.prepare('SELECT kind, COUNT(*) AS n FROM accounted GROUP BY kind').all() as { kind: AccountedKind; n: number }[];
    const out: Record<AccountedKind, number> = { quarantined: 0, shed: 0 };
    for (const r of rows) out[r.kind] = r.n;
    return out;
  }

  // ---- model memory ----

  recordPredictions(rows: readonly { id: string; features: number[]; p: number; modelVersion: string }[]): void {
    const ins = this.db.prepare('INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?)');
    const now = Date.now();
    this.db.transaction(() => {
      for (const r of rows) ins.run(r.id, JSON.stringify(r.features), r.p, r.modelVersion, now);
    }).immediate();
  }

  /** Joins late labels with the predictions made earlier; returns one outcome per label whose prediction is known. */
  /**
   * Joins late labels with the predictions made earlier. Returns the new outcomes, and the ids of
   * labels whose prediction does not exist yet (the pipeline runs behind the label delay): the
   * caller retries those later.
   */
  joinLabels(labels: readonly { id: string; label: number }[]): { joined: { id: string; correct: boolean; modelVersion: string }[]; missing: string[] } {
    const get = this.db.prepare('SELECT features, p, model_version FROM predictions WHERE id = ?');
    const ins = this.db.prepare('INSERT OR IGNORE INTO examples (id, features, label, correct, model_version, labelled_at) VALUES (?, ?, ?, ?, ?, ?)');
    const now = Date.now();
    const out: { id: string; correct: boolean; modelVersion: string }[] = [];
    const missing: string[] = [];
    this.db.transaction(() => {
      for (const l of labels) {
        const pred = get.get(l.id) as { features: string; p: number; model_version: string } | undefined;
        if (!pred) {
          missing.push(l.id);
          continue;
        }
        const correct = (pred.p >= 0.5 ? 1 : 0) === l.label;
        if (ins.run(l.id, pred.features, l.label, correct ? 1 : 0, pred.model_version, now).changes === 1) {
          out.push({ id: l.id, correct, modelVersion: pred.model_version });
        }
      }
    }).immediate();
    return { joined: out, missing };
  }

  /** The most recent labelled examples, oldest first. */
  recentExamples(limit: number): Example[] {
    const rows = this.db.prepare('SELECT id, features, label, labelled_at FROM examples ORDER BY seq DESC LIMIT ?').all(limit) as { id: string; features: string; label: number; labelled_at: number }[];
    return rows.reverse().map((r) => ({ id: r.id, features: JSON.parse(r.features) as number[], label: r.label, labelledAt: r.labelled_at }));
  }

  /** Accuracy of the last `limit` labelled predictions, optionally only those made by one model version. */
  recentAccuracy(limit: number, modelVersion?: string, since = 0): { n: number; accuracy: number } {
    const rows = (modelVersion
      ? this.db.prepare('SELECT correct FROM examples WHERE model_version = ? AND labelled_at >= ? ORDER BY seq DESC LIMIT ?').all(modelVersion, since, limit)
      : this.db.prepare('SELECT correct FROM examples WHERE labelled_at >= ? ORDER BY seq DESC LIMIT ?').all(since, limit)) as { correct: number }[];
    const n = rows.length;
    return { n, accuracy: n === 0 ? 0 : rows.reduce((s, r) => s + r.correct, 0) / n };
  }

  /** Keeps the model tables bounded: a long demo must not grow them without limit. */
  pruneModelMemory(keep: number): void {
    this.db.prepare('DELETE FROM examples WHERE seq <= (SELECT MAX(seq) FROM examples) - ?').run(keep);
    this.db.prepare('DELETE FROM predictions WHERE at < ?').run(Date.now() - 120_000);
  }
}

interface RawFault {
  id: string;
  kind: string;
  component: string;
  params: string;
  created_at: number;
  expires_at: number | null;
  cleared_at: number | null;
  consumed_by: string | null;
}

function toFault(r: RawFault): FaultRow {
  return {
    id: r.id,
    kind: r.kind,
    component: r.component,
    params: JSON.parse(r.params) as Record<string, unknown>,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    clearedAt: r.cleared_at,
    consumedBy: r.consumed_by,
  };
}
