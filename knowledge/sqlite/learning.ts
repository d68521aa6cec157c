/** What the loop learns from and limits itself with: Q-table, action history, shadow records, modes. */
import type Database from 'better-sqlite3';
import type { FaultClass, Mode, RepairAction } from '../../policies/taxonomy';
import type { ActionInput, ActionRecord, ModeRecord, QEntry, ShadowRecord } from '../types';

export function qTable(db: Database.Database): QEntry[] {
  return db.prepare('SELECT state, action, value, visits FROM q_table ORDER BY state, action').all() as QEntry[];
}

export function putQEntry(db: Database.Database, e: QEntry, now: number): void {
  db.prepare(
    `INSERT INTO q_table (state, action, value, visits, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (state, action) DO UPDATE SET value = excluded.value, visits = excluded.visits, updated_at = excluded.updated_at`,
  ).run(e.state, e.action, e.value, e.visits, now);
}

/** False when the idempotency key was recorded before: a retried attempt is counted once. */
export function recordAction(db: Database.Database, r: ActionInput): boolean {
  const res = db
    .prepare('INSERT OR IGNORE INTO action_history (at, pipeline, resource, action, incident_id, idempotency_key) VALUES (?, ?, ?, ?, ?, ?)')
    .run(r.at, r.pipeline, r.resource, r.action, r.incidentId, r.idempotencyKey ?? null);
  return res.changes > 0;
}

export function recentActions(db: Database.Database, q: { since: number; pipeline?: string; resource?: string }): ActionRecord[] {
  const rows = db
    .prepare(
      `SELECT at, pipeline, resource, action, incident_id AS incidentId FROM action_history
       WHERE at > ? AND (? IS NULL OR pipeline = ?) AND (? IS NULL OR resource = ?) ORDER BY at, id`,
    )
    .all(q.since, q.pipeline ?? null, q.pipeline ?? null, q.resource ?? null, q.resource ?? null);
  return rows as ActionRecord[];
}

export interface ShadowRow {
  incident_id: string;
  pipeline: string;
  fault_class: string;
  would_do: string;
  final_action: string | null;
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  resolved: number | boolean;
  at: number;
}

export const toShadow = (r: ShadowRow): ShadowRecord => ({
  incidentId: r.incident_id,
  pipeline: r.pipeline,
  faultClass: r.fault_class as FaultClass,
  wouldDo: r.would_do as RepairAction,
  ...(r.resolved ? { finalAction: r.final_action as RepairAction | null } : {}),
  at: r.at,
});

export function recordShadow(db: Database.Database, r: Omit<ShadowRecord, 'finalAction'>): void {
  db.prepare('INSERT INTO shadow_records (incident_id, pipeline, fault_class, would_do, at) VALUES (?, ?, ?, ?, ?)').run(
    r.incidentId, r.pipeline, r.faultClass, r.wouldDo, r.at,
  );
}

/** Sets the action finally verified or approved (null: none) on every open record of the incident. */
export function resolveShadow(db: Database.Database, incidentId: string, finalAction: RepairAction | null): number {
  return db.prepare('UPDATE shadow_records SET final_action = ?, resolved = 1 WHERE incident_id = ? AND resolved = 0').run(finalAction, incidentId)
    .changes;
}

export function shadowRecords(db: Database.Database, pipeline: string, faultClass: FaultClass, limit = 1000): ShadowRecord[] {
  const rows = db
    .prepare('SELECT * FROM shadow_records WHERE pipeline = ? AND fault_class = ? ORDER BY at DESC, id DESC LIMIT ?')
    .all(pipeline, faultClass, limit) as ShadowRow[];
  return rows.map(toShadow);
}

export function getMode(db: Database.Database, pipeline: string, faultClass: FaultClass): ModeRecord | undefined {
  const r = db.prepare('SELECT * FROM modes WHERE pipeline = ? AND fault_class = ?').get(pipeline, faultClass) as
    | { pipeline: string; fault_class: string; mode: string; reason: string; updated_at: number }
    | undefined;
  return r ? { pipeline: r.pipeline, faultClass: r.fault_class as FaultClass, mode: r.mode as Mode, reason: r.reason, updatedAt: r.updated_at } : undefined;
}

export function setMode(db: Database.Database, r: Omit<ModeRecord, 'updatedAt'>, now: number): void {
  db.prepare(
    `INSERT INTO modes (pipeline, fault_class, mode, reason, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (pipeline, fault_class) DO UPDATE SET mode = excluded.mode, reason = excluded.reason, updated_at = excluded.updated_at`,
  ).run(r.pipeline, r.faultClass, r.mode, r.reason, now);
}
