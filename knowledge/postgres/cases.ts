/** Stored policies, pipeline definitions and incident cases on PostgreSQL. */
import { createHash } from 'node:crypto';
import type { FaultClass, UNKNOWN_FAULT } from '../../policies/taxonomy';
import { attemptsOf, EXPLANATION_PARTS, toCase, toPolicy, type CaseRow, type PolicyRow } from '../sqlite/cases';
import type { CaseInput, CaseRecord, PastCase, StoredPolicy } from '../types';
import { lockName, type Sql } from './sql';


/** Stores a policy text as a new version; the same text again returns the existing version. */
export function savePolicy(sql: Sql, text: string, source: string, now: number): Promise<StoredPolicy> {
  const sha256 = createHash('sha256').update(text).digest('hex');
  // Under a lock and looking first: an INSERT that conflicts would still burn an identity value.
  return sql.atomic(async (tx) => {
    await lockName(tx, 'policies');
    const [existing] = await tx.rows<PolicyRow>('SELECT * FROM policies WHERE sha256 = $1', [sha256]);
    if (existing) return toPolicy(existing);
    const [row] = await tx.rows<PolicyRow>('INSERT INTO policies (sha256, source, text, created_at) VALUES ($1, $2, $3, $4) RETURNING *', [sha256, source, text, now]);
    return toPolicy(row as PolicyRow);
  });
}

export async function latestPolicy(sql: Sql): Promise<StoredPolicy | undefined> {
  const [row] = await sql.rows<PolicyRow>('SELECT * FROM policies ORDER BY version DESC LIMIT 1');
  return row ? toPolicy(row) : undefined;
}

export async function upsertPipeline(sql: Sql, name: string, definition: unknown, now: number): Promise<void> {
  await sql.run(
    'INSERT INTO pipelines (name, definition, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, updated_at = EXCLUDED.updated_at',
    [name, JSON.stringify(definition), now],
  );
}

export async function getPipeline(sql: Sql, name: string): Promise<unknown> {
  const [row] = await sql.rows<{ definition: string }>('SELECT definition FROM pipelines WHERE name = $1', [name]);
  return row ? (JSON.parse(row.definition) as unknown) : undefined;
}

export async function listPipelines(sql: Sql): Promise<string[]> {
  return (await sql.rows<{ name: string }>('SELECT name FROM pipelines ORDER BY name')).map((r) => r.name);
}


export async function recordCase(sql: Sql, c: CaseInput, now: number): Promise<CaseRecord> {
  const missing = EXPLANATION_PARTS.filter((k) => typeof c.explanation[k] !== 'string' || c.explanation[k].length === 0);
  if (missing.length > 0) throw new Error(`explanation is missing ${missing.join(', ')}`);
  const [row] = await sql.rows<CaseRow>(
    `INSERT INTO cases (incident_id, run_key, pipeline, component, fault_class, layer, severity, mode, evidence, plan, alternatives,
       action, attempts, outcome, ttd_ms, mttm_ms, mttr_ms, explanation, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING *`,
    [
      c.incidentId, c.runKey ?? null, c.signature.pipeline, c.signature.component, c.signature.faultClass, c.signature.layer ?? null,
      c.signature.severity, c.mode, JSON.stringify(c.evidence ?? null), JSON.stringify(c.plan ?? null),
      JSON.stringify(c.alternatives ?? null), c.action, JSON.stringify(c.attempts), c.outcome,
      c.ttdMs ?? null, c.mttmMs ?? null, c.mttrMs ?? null, JSON.stringify(c.explanation), now,
    ],
  );
  return toCase(row as CaseRow);
}

export async function getCase(sql: Sql, id: number): Promise<CaseRecord | undefined> {
  const [row] = await sql.rows<CaseRow>('SELECT * FROM cases WHERE id = $1', [id]);
  return row ? toCase(row) : undefined;
}

export async function casesForIncident(sql: Sql, incidentId: string): Promise<CaseRecord[]> {
  return (await sql.rows<CaseRow>('SELECT * FROM cases WHERE incident_id = $1 ORDER BY id', [incidentId])).map(toCase);
}

export async function caseForRun(sql: Sql, runKey: string): Promise<CaseRecord | undefined> {
  const [row] = await sql.rows<CaseRow>('SELECT * FROM cases WHERE run_key = $1', [runKey]);
  return row ? toCase(row) : undefined;
}

/** Each attempt of each matching case, as the case-based estimator reads it; newest first. */
export async function pastCases(sql: Sql, q: { pipeline?: string; faultClass?: FaultClass | typeof UNKNOWN_FAULT; limit?: number }): Promise<PastCase[]> {
  const rows = await sql.rows<CaseRow>(
    'SELECT * FROM cases WHERE ($1::text IS NULL OR pipeline = $1) AND ($2::text IS NULL OR fault_class = $2) ORDER BY id DESC LIMIT $3',
    [q.pipeline ?? null, q.faultClass ?? null, q.limit ?? 500],
  );
  return rows.map(toCase).flatMap(attemptsOf);
}
