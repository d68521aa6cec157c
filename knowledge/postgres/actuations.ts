/**
 * The actuator log on PostgreSQL: one row per idempotency key. INSERT … ON CONFLICT DO NOTHING
 * decides atomically which of several concurrent attempts recorded the key first; completing
 * keeps the first result.
 */
import { toActuation, type ActuationRow } from '../sqlite/actuations';
import type { Actuation, ActuationInput } from '../types';
import type { Sql } from './sql';


export async function getActuation(sql: Sql, key: string): Promise<Actuation | undefined> {
  const [row] = await sql.rows<ActuationRow>('SELECT * FROM actuations WHERE idempotency_key = $1', [key]);
  return row ? toActuation(row) : undefined;
}

export async function recordActuation(sql: Sql, a: ActuationInput, now: number): Promise<{ alreadyRecorded: boolean; actuation: Actuation }> {
  const [inserted] = await sql.rows<ActuationRow>(
    `INSERT INTO actuations (idempotency_key, incident_id, step, attempt, action, resource, detail, status, recorded_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'started', $8) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
    [a.idempotencyKey, a.incidentId, a.step, a.attempt, a.action, a.resource, a.detail === undefined ? null : JSON.stringify(a.detail), now],
  );
  if (inserted) return { alreadyRecorded: false, actuation: toActuation(inserted) };
  return { alreadyRecorded: true, actuation: (await getActuation(sql, a.idempotencyKey)) as Actuation };
}

export async function completeActuation(sql: Sql, key: string, result: unknown, now: number): Promise<Actuation> {
  const [updated] = await sql.rows<ActuationRow>(
    `UPDATE actuations SET status = 'done', result = $1, completed_at = $2 WHERE idempotency_key = $3 AND status = 'started' RETURNING *`,
    [result === undefined ? null : JSON.stringify(result), now, key],
  );
  if (updated) return toActuation(updated);
  const row = await getActuation(sql, key);
  if (!row) throw new Error(`no actuation recorded under ${key}`);
  if (row.status !== 'done') throw new Error(`actuation ${key} could not be completed`);
  return row;
}

export async function listActuations(sql: Sql, f: { incidentId?: string; resource?: string } = {}): Promise<Actuation[]> {
  const rows = await sql.rows<ActuationRow>(
    'SELECT * FROM actuations WHERE ($1::text IS NULL OR incident_id = $1) AND ($2::text IS NULL OR resource = $2) ORDER BY recorded_at, id',
    [f.incidentId ?? null, f.resource ?? null],
  );
  return rows.map(toActuation);
}

/** The replica count a workload had before a repair changed it (see KnowledgeBase.rememberReplicas). */
export async function rememberReplicas(sql: Sql, resource: string, replicas: number, now: number): Promise<void> {
  await sql.rows(
    `INSERT INTO workload_replicas (resource, replicas, recorded_at) VALUES ($1, $2, $3)
     ON CONFLICT (resource) DO UPDATE SET replicas = excluded.replicas, recorded_at = excluded.recorded_at`,
    [resource, replicas, now],
  );
}

export async function rememberedReplicas(sql: Sql, resource: string): Promise<number | undefined> {
  const [row] = await sql.rows<{ replicas: number }>('SELECT replicas FROM workload_replicas WHERE resource = $1', [resource]);
  return row?.replicas;
}
