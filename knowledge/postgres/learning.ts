/** Q-table, action history, shadow records and modes on PostgreSQL. */
import type { FaultClass, Mode, RepairAction } from '../../policies/taxonomy';
import { toShadow, type ShadowRow } from '../sqlite/learning';
import type { ActionInput, ActionRecord, ModeRecord, QEntry, ShadowRecord } from '../types';
import type { Sql } from './sql';

export async function qTable(sql: Sql): Promise<QEntry[]> {
  return sql.rows<QEntry & Record<string, unknown>>('SELECT state, action, value, visits FROM q_table ORDER BY state, action');
}

export async function putQEntry(sql: Sql, e: QEntry, now: number): Promise<void> {
  await sql.run(
    `INSERT INTO q_table (state, action, value, visits, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (state, action) DO UPDATE SET value = EXCLUDED.value, visits = EXCLUDED.visits, updated_at = EXCLUDED.updated_at`,
    [e.state, e.action, e.value, e.visits, now],
  );
}

/** False when the idempotency key was recorded before: a retried attempt is counted once. */
export async function recordAction(sql: Sql, r: ActionInput): Promise<boolean> {
  const inserted = await sql.run(
    'INSERT INTO action_history (at, pipeline, resource, action, incident_id, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
    [r.at, r.pipeline, r.resource, r.action, r.incidentId, r.idempotencyKey ?? null],
  );
  return inserted > 0;
}

export async function recentActions(sql: Sql, q: { since: number; pipeline?: string; resource?: string }): Promise<ActionRecord[]> {
  return sql.rows<ActionRecord & Record<string, unknown>>(
    `SELECT at, pipeline, resource, action, incident_id AS "incidentId" FROM action_history
     WHERE at > $1 AND ($2::text IS NULL OR pipeline = $2) AND ($3::text IS NULL OR resource = $3) ORDER BY at, id`,
    [q.since, q.pipeline ?? null, q.resource ?? null],
  );
}


export async function recordShadow(sql: Sql, r: Omit<ShadowRecord, 'finalAction'>): Promise<void> {
  await sql.run('INSERT INTO shadow_records (incident_id, pipeline, fault_class, would_do, at) VALUES ($1, $2, $3, $4, $5)', [r.incidentId, r.pipeline, r.faultClass, r.wouldDo, r.at]);
}

/** Sets the action finally verified or approved (null: none) on every open record of the incident. */
export async function resolveShadow(sql: Sql, incidentId: string, finalAction: RepairAction | null): Promise<number> {
  return sql.run('UPDATE shadow_records SET final_action = $1, resolved = TRUE WHERE incident_id = $2 AND NOT resolved', [finalAction, incidentId]);
}

export async function shadowRecords(sql: Sql, pipeline: string, faultClass: FaultClass, limit = 1000): Promise<ShadowRecord[]> {
  const rows = await sql.rows<ShadowRow>('SELECT * FROM shadow_records WHERE pipeline = $1 AND fault_class = $2 ORDER BY at DESC, id DESC LIMIT $3', [pipeline, faultClass, limit]);
  return rows.map(toShadow);
}

export async function getMode(sql: Sql, pipeline: string, faultClass: FaultClass): Promise<ModeRecord | undefined> {
  const [r] = await sql.rows<{ pipeline: string; fault_class: string; mode: string; reason: string; updated_at: number }>(
    'SELECT * FROM modes WHERE pipeline = $1 AND fault_class = $2',
    [pipeline, faultClass],
  );
  return r ? { pipeline: r.pipeline, faultClass: r.fault_class as FaultClass, mode: r.mode as Mode, reason: r.reason, updatedAt: r.updated_at } : undefined;
}

export async function setMode(sql: Sql, r: Omit<ModeRecord, 'updatedAt'>, now: number): Promise<void> {
  await sql.run(
    `INSERT INTO modes (pipeline, fault_class, mode, reason, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (pipeline, fault_class) DO UPDATE SET mode = EXCLUDED.mode, reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at`,
    [r.pipeline, r.faultClass, r.mode, r.reason, now],
  );
}
