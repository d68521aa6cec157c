/**
 * Remediation leases across processes. Taking a lease is one INSERT … ON CONFLICT DO UPDATE whose
 * WHERE admits only a free, expired or same-holder row: PostgreSQL's row lock on the conflicting
 * row makes concurrent takers queue, and exactly one of them sees the row free. The fencing token
 * is the row's counter, kept when a lease is released, so it only ever grows per resource.
 */
import { toLease, type LeaseRow } from '../sqlite/leases';
import type { Lease, LeaseResult } from '../types';
import type { Sql } from './sql';


export async function acquireLease(sql: Sql, req: { resource: string; pipeline: string; holder: string; ttlMs: number }, now: number): Promise<LeaseResult> {
  // Same live holder again (a retried activity): same token, fresh expiry. Otherwise a free or
  // expired row changes hands with token + 1.
  const [taken] = await sql.rows<LeaseRow>(
    `INSERT INTO leases AS l (resource, pipeline, holder, token, acquired_at, expires_at) VALUES ($1, $2, $3, 1, $4, $5)
     ON CONFLICT (resource) DO UPDATE SET
       pipeline = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > $4 THEN l.pipeline ELSE EXCLUDED.pipeline END,
       token = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > $4 THEN l.token ELSE l.token + 1 END,
       acquired_at = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > $4 THEN l.acquired_at ELSE EXCLUDED.acquired_at END,
       holder = EXCLUDED.holder,
       expires_at = EXCLUDED.expires_at
     WHERE l.holder IS NULL OR l.expires_at <= $4 OR l.holder = EXCLUDED.holder
     RETURNING *`,
    [req.resource, req.pipeline, req.holder, now, now + req.ttlMs],
  );
  if (taken) return { acquired: true, lease: toLease(taken) };
  const [held] = await sql.rows<LeaseRow>('SELECT * FROM leases WHERE resource = $1', [req.resource]);
  // Released between the two statements: try again (rare; the next attempt sees it free).
  if (!held || held.holder === null || held.expires_at <= now) return acquireLease(sql, req, now);
  return { acquired: false, heldBy: toLease(held) };
}

/** Extends a live lease; undefined when the caller no longer holds it (expired, taken over, released). */
export async function renewLease(sql: Sql, req: { resource: string; holder: string; token: number; ttlMs: number }, now: number): Promise<Lease | undefined> {
  const [row] = await sql.rows<LeaseRow>(
    'UPDATE leases SET expires_at = $1 WHERE resource = $2 AND holder = $3 AND token = $4 AND expires_at > $5 RETURNING *',
    [now + req.ttlMs, req.resource, req.holder, req.token, now],
  );
  return row ? toLease(row) : undefined;
}

export async function releaseLease(sql: Sql, req: { resource: string; holder: string; token: number }): Promise<boolean> {
  return (await sql.run('UPDATE leases SET holder = NULL, expires_at = 0 WHERE resource = $1 AND holder = $2 AND token = $3', [req.resource, req.holder, req.token])) > 0;
}

export async function checkFence(sql: Sql, resource: string, token: number, now: number): Promise<boolean> {
  const rows = await sql.rows('SELECT 1 FROM leases WHERE resource = $1 AND holder IS NOT NULL AND token = $2 AND expires_at > $3', [resource, token, now]);
  return rows.length > 0;
}

export async function activeLeases(sql: Sql, now: number): Promise<Lease[]> {
  return (await sql.rows<LeaseRow>('SELECT * FROM leases WHERE holder IS NOT NULL AND expires_at > $1 ORDER BY resource', [now])).map(toLease);
}
