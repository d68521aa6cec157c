/** Stored policies, pipeline definitions and incident cases. */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { FaultClass, Layer, Mode, RepairAction, Severity, UNKNOWN_FAULT } from '../../policies/taxonomy';
import type { Explanation, Outcome } from '../../workflows/shared';
import type { CaseAttempt, CaseInput, CaseRecord, PastCase, StoredPolicy } from '../types';

export interface PolicyRow {
  version: number;
  sha256: string;
  source: string;
  text: string;
  created_at: number;
}

export const toPolicy = (r: PolicyRow): StoredPolicy => ({ version: r.version, sha256: r.sha256, source: r.source, text: r.text, createdAt: r.created_at });

/** Stores a policy text as a new version; the same text again returns the existing version. */
export function savePolicy(db: Database.Database, text: string, source: string, now: number): StoredPolicy {
  const sha256 = createHash('sha256').update(text).digest('hex');
  // Look first: an ignored INSERT would still burn an AUTOINCREMENT number and leave version gaps.
  const tx = db.transaction((): PolicyRow => {
    const existing = db.prepare('SELECT * FROM policies WHERE sha256 = ?').get(sha256) as PolicyRow | undefined;
    if (existing) return existing;
    db.prepare('INSERT INTO policies (sha256, source, text, created_at) VALUES (?, ?, ?, ?)').run(sha256, source, text, now);
    return db.prepare('SELECT * FROM policies WHERE sha256 = ?').get(sha256) as PolicyRow;
  });
  return toPolicy(tx.immediate());
}

export function latestPolicy(db: Database.Database): StoredPolicy | undefined {
  const row = db.prepare('SELECT * FROM policies ORDER BY version DESC LIMIT 1').get() as PolicyRow | undefined;
  return row ? toPolicy(row) : undefined;
}

export function upsertPipeline(db: Database.Database, name: string, definition: unknown, now: number): void {
  db.prepare(
    'INSERT INTO pipelines (name, definition, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at',
  ).run(name, JSON.stringify(definition), now);
}

export function getPipeline(db: Database.Database, name: string): unknown {
  const row = db.prepare('SELECT definition FROM pipelines WHERE name = ?').get(name) as { definition: string } | undefined;
  return row ? (JSON.parse(row.definition) as unknown) : undefined;
}

export function listPipelines(db: Database.Database): string[] {
  return (db.prepare('SELECT name FROM pipelines ORDER BY name').all() as { name: string }[]).map((r) => r.name);
}

export interface CaseRow {
  id: number;
  incident_id: string;
  pipeline: string;
  component: string;
  fault_class: string;
  layer: string | null;
  severity: string;
  mode: string;
  evidence: string;
  plan: string;
  alternatives: string;
  action: string;
  attempts: string;
  outcome: string;
  ttd_ms: number | null;
  mttm_ms: number | null;
  mttr_ms: number | null;
  explanation: string;
  created_at: number;
  run_key: string | null;
}

export function toCase(r: CaseRow): CaseRecord {
  const opt = (k: 'ttdMs' | 'mttmMs' | 'mttrMs', v: number | null) => (v === null ? {} : { [k]: v });
  return {
    id: r.id,
    incidentId: r.incident_id,
    ...(r.run_key === null ? {} : { runKey: r.run_key }),
    signature: {
      pipeline: r.pipeline,
      component: r.component,
      faultClass: r.fault_class as FaultClass | typeof UNKNOWN_FAULT,
      ...(r.layer === null ? {} : { layer: r.layer as Layer }),
      severity: r.severity as Severity,
    },
    mode: r.mode as Mode,
    evidence: JSON.parse(r.evidence) as unknown,
    plan: JSON.parse(r.plan) as unknown,
    alternatives: JSON.parse(r.alternatives) as unknown,
    action: r.action as RepairAction,
    attempts: JSON.parse(r.attempts) as CaseAttempt[],
    outcome: r.outcome as Outcome,
    ...opt('ttdMs', r.ttd_ms),
    ...opt('mttmMs', r.mttm_ms),
    ...opt('mttrMs', r.mttr_ms),
    explanation: JSON.parse(r.explanation) as Explanation,
    createdAt: r.created_at,
  };
}

export const EXPLANATION_PARTS = ['trigger', 'evidence', 'cause', 'action', 'impact', 'verification'] as const;

export function recordCase(db: Database.Database, c: CaseInput, now: number): CaseRecord {
  // A case without its whole explanation tuple is not worth learning from, nor auditable.
  const missing = EXPLANATION_PARTS.filter((k) => typeof c.explanation[k] !== 'string' || c.explanation[k].length === 0);
  if (missing.length > 0) throw new Error(`explanation is missing ${missing.join(', ')}`);
  const res = db
    .prepare(
      `INSERT INTO cases (incident_id, run_key, pipeline, component, fault_class, layer, severity, mode, evidence, plan, alternatives,
        action, attempts, outcome, ttd_ms, mttm_ms, mttr_ms, explanation, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      c.incidentId, c.runKey ?? null, c.signature.pipeline, c.signature.component, c.signature.faultClass, c.signature.layer ?? null,
      c.signature.severity, c.mode, JSON.stringify(c.evidence ?? null), JSON.stringify(c.plan ?? null),
      JSON.stringify(c.alternatives ?? null), c.action, JSON.stringify(c.attempts), c.outcome,
      c.ttdMs ?? null, c.mttmMs ?? null, c.mttrMs ?? null, JSON.stringify(c.explanation), now,
    );
  return getCase(db, Number(res.lastInsertRowid)) as CaseRecord;
}

export function getCase(db: Database.Database, id: number): CaseRecord | undefined {
  const row = db.prepare('SELECT * FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
  return row ? toCase(row) : undefined;
}

export function casesForIncident(db: Database.Database, incidentId: string): CaseRecord[] {
  return (db.prepare('SELECT * FROM cases WHERE incident_id = ? ORDER BY id').all(incidentId) as CaseRow[]).map(toCase);
}

export function caseForRun(db: Database.Database, runKey: string): CaseRecord | undefined {
  const row = db.prepare('SELECT * FROM cases WHERE run_key = ?').get(runKey) as CaseRow | undefined;
  return row ? toCase(row) : undefined;
}

/** Each attempt of each matching case, as the case-based estimator reads it; newest first. */
export function pastCases(
  db: Database.Database,
  q: { pipeline?: string; faultClass?: FaultClass | typeof UNKNOWN_FAULT; limit?: number },
): PastCase[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.pipeline !== undefined) {
    where.push('pipeline = ?');
    args.push(q.pipeline);
  }
  if (q.faultClass !== undefined) {
    where.push('fault_class = ?');
    args.push(q.faultClass);
  }
  const sql = `SELECT * FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  const rows = db.prepare(sql).all(...args, q.limit ?? 500) as CaseRow[];
  return rows.map(toCase).flatMap(attemptsOf);
}

/** One case's attempts, each with its signature, as the case-based estimator reads them. */
export function attemptsOf(c: CaseRecord): PastCase[] {
  return c.attempts.map((a) => ({
    pipeline: c.signature.pipeline,
    component: c.signature.component,
    faultClass: c.signature.faultClass,
    ...(c.signature.layer ? { layer: c.signature.layer } : {}),
    severity: c.signature.severity,
    ...a,
  }));
}
