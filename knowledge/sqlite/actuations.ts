/**
 * The actuator log: one row per idempotency key (incident, step, attempt). A retried activity
 * — after a timeout or a worker crash — finds its key already recorded and must not act twice;
 * `completeActuation` marks the side effect as applied.
 */
import type Database from 'better-sqlite3';
import type { Actuation, ActuationInput } from '../types';

export interface ActuationRow {
  idempotency_key: string;
  incident_id: string;
  step: string;
  attempt: number;
  action: string;
  resource: string;
  detail: string | null;
  status: 'started' | 'done';
  result: string | null;
  recorded_at: number;
  completed_at: number | null;
}

export function toActuation(r: ActuationRow): Actuation {
  return {
    idempotencyKey: r.idempotency_key,
    incidentId: r.incident_id,
    step: r.step,
    attempt: r.attempt,
    action: r.action as Actuation['action'],
    resource: r.resource,
    ...(r.detail === null ? {} : { detail: JSON.parse(r.detail) as unknown }),
    status: r.status,
    ...(r.result === null ? {} : { result: JSON.parse(r.result) as unknown }),
    recordedAt: r.recorded_at,
    ...(r.completed_at === null ? {} : { completedAt: r.completed_at }),
  };
}

export function getActuation(db: Database.Database, key: string): Actuation | undefined {
  const row = db.prepare('SELECT * FROM actuations WHERE idempotency_key = ?').get(key) as ActuationRow | undefined;
  return row ? toActuation(row) : undefined;
}

/** Records the key if new; `alreadyRecorded` tells a retry that the first try got this far. */
export function recordActuation(db: Database.Database, a: ActuationInput, now: number): { alreadyRecorded: boolean; actuation: Actuation } {
  const res = db
    .prepare(
      `INSERT OR IGNORE INTO actuations (idempotency_key, incident_id, step, attempt, action, resource, detail, status, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'started', ?)`,
    )
    .run(a.idempotencyKey, a.incidentId, a.step, a.attempt, a.action, a.resource, a.detail === undefined ? null : JSON.stringify(a.detail), now);
  return { alreadyRecorded: res.changes === 0, actuation: getActuation(db, a.idempotencyKey) as Actuation };
}

export function completeActuation(db: Database.Database, key: string, result: unknown, now: number): Actuation {
  // Completing twice keeps the first result: the side effect happened once.
  const res = db
    .prepare(`UPDATE actuations SET status = 'done', result = ?, completed_at = ? WHERE idempotency_key = ? AND status = 'started'`)
    .run(result === undefined ? null : JSON.stringify(result), now, key);
  const row = getActuation(db, key);
  if (!row) throw new Error(`no actuation recorded under ${key}`);
  if (res.changes === 0 && row.status !== 'done') throw new Error(`actuation ${key} could not be completed`);
  return row;
}

export function listActuations(db: Database.Database, f: { incidentId?: string; resource?: string } = {}): Actuation[] {
  const rows = db
    .prepare('SELECT * FROM actuations WHERE (? IS NULL OR incident_id = ?) AND (? IS NULL OR resource = ?) ORDER BY recorded_at, rowid')
    .all(f.incidentId ?? null, f.incidentId ?? null, f.resource ?? null, f.resource ?? null) as ActuationRow[];
  return rows.map(toActuation);
}

/** The replica count a workload had before a repair changed it (see KnowledgeBase.rememberReplicas). */
export function rememberReplicas(db: Database.Database, resource: string, replicas: number, now: number): void {
  db.prepare(
    `INSERT INTO workload_replicas (resource, replicas, recorded_at) VALUES (?, ?, ?)
     ON CONFLICT (resource) DO UPDATE SET replicas = excluded.replicas, recorded_at = excluded.recorded_at`,
  ).run(resource, replicas, now);
}

export function rememberedReplicas(db: Database.Database, resource: string): number | undefined {
  const row = db.prepare('SELECT replicas FROM workload_replicas WHERE resource = ?').get(resource) as { replicas: number } | undefined;
  return row?.replicas;
}
