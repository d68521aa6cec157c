/**
 * Remediation leases: one holder per resource, with a fencing token that strictly increases
 * whenever the lease changes hands (a released row is kept so the counter survives). An
 * actuator that carries a stale token after losing its lease is refused by `checkFence`.
 */
import type Database from 'better-sqlite3';
import type { Lease, LeaseResult } from '../types';

export interface LeaseRow {
  resource: string;
  pipeline: string;
  holder: string | null;
  token: number;
  acquired_at: number;
  expires_at: number;
}

export function toLease(r: LeaseRow): Lease {
  return { resource: r.resource, pipeline: r.pipeline, holder: r.holder ?? '', token: r.token, acquiredAt: r.acquired_at, expiresAt: r.expires_at };
}

export function acquireLease(
  db: Database.Database,
  req: { resource: string; pipeline: string; holder: string; ttlMs: number },
  now: number,
): LeaseResult {
  const tx = db.transaction((): LeaseResult => {
    const row = db.prepare('SELECT * FROM leases WHERE resource = ?').get(req.resource) as LeaseRow | undefined;
    const expiresAt = now + req.ttlMs;
    if (row && row.holder === req.holder && row.expires_at > now) {
      // Same holder again (a retried activity): same token, fresh expiry.
      db.prepare('UPDATE leases SET expires_at = ? WHERE resource = ?').run(expiresAt, req.resource);
      return { acquired: true, lease: toLease({ ...row, expires_at: expiresAt }) };
    }
    if (row && row.holder !== null && row.expires_at > now) return { acquired: false, heldBy: toLease(row) };
    const token = (row?.token ?? 0) + 1;
    db.prepare(
      `INSERT INTO leases (resource, pipeline, holder, token, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (resource) DO UPDATE SET pipeline = excluded.pipeline, holder = excluded.holder,
         token = excluded.token, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
    ).run(req.resource, req.pipeline, req.holder, token, now, expiresAt);
    return { acquired: true, lease: { resource: req.resource, pipeline: req.pipeline, holder: req.holder, token, acquiredAt: now, expiresAt } };
  });
  return tx.immediate();
}

/** Extends a live lease; undefined when the caller no longer holds it (expired, taken over, released). */
export function renewLease(db: Database.Database, req: { resource: string; holder: string; token: number; ttlMs: number }, now: number): Lease | undefined {
  const res = db
    .prepare('UPDATE leases SET expires_at = ? WHERE resource = ? AND holder = ? AND token = ? AND expires_at > ?')
    .run(now + req.ttlMs, req.resource, req.holder, req.token, now);
  if (res.changes === 0) return undefined;
  return toLease(db.prepare('SELECT * FROM leases WHERE resource = ?').get(req.resource) as LeaseRow);
}

export function releaseLease(db: Database.Database, req: { resource: string; holder: string; token: number }): boolean {
  const res = db
    .prepare('UPDATE leases SET holder = NULL, expires_at = 0 WHERE resource = ? AND holder = ? AND token = ?')
    .run(req.resource, req.holder, req.token);
  return res.changes > 0;
}

export function checkFence(db: Database.Database, resource: string, token: number, now: number): boolean {
  const row = db.prepare('SELECT * FROM leases WHERE resource = ?').get(resource) as LeaseRow | undefined;
  return !!row && row.holder !== null && row.token === token && row.expires_at > now;
}

export function activeLeases(db: Database.Database, now: number): Lease[] {
  return (db.prepare('SELECT * FROM leases WHERE holder IS NOT NULL AND expires_at > ? ORDER BY resource').all(now) as LeaseRow[]).map(toLease);
}
