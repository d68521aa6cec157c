/**
 * The append-only audit log. Each row stores the SHA-256 of the previous row's hash together
 * with its own canonical content, so editing, deleting or reordering any row breaks the chain
 * from that row on, and `verifyAuditChain` names the first row that no longer verifies.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { canonicalJson } from '../canonical-json';
import type { AuditInput, AuditRow, AuditVerification } from '../types';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditDbRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

/** The hash a row must carry: over its canonical content including the previous hash. */
export function auditRowHash(row: Omit<AuditRow, 'hash'>): string {
  const body = canonicalJson({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    detail: row.detail ?? null,
    prevHash: row.prevHash,
  });
  return createHash('sha256').update(body).digest('hex');
}

export function fromDb(r: AuditDbRow): AuditRow {
  return { seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, detail: JSON.parse(r.detail) as unknown, prevHash: r.prev_hash, hash: r.hash };
}

/** The row that follows `last` (undefined: the first row), hashed. */
export function nextAuditRow(input: AuditInput, last: { seq: number; hash: string } | undefined, now: number): AuditRow {
  // Round-trip detail through canonical JSON so the stored text and the hashed value agree.
  const detail = JSON.parse(canonicalJson(input.detail ?? null)) as unknown;
  const base = {
    seq: (last?.seq ?? 0) + 1,
    at: new Date(now).toISOString(),
    actor: input.actor,
    action: input.action,
    subject: input.subject,
    detail,
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  return { ...base, hash: auditRowHash(base) };
}

export function appendAudit(db: Database.Database, input: AuditInput, now: number): AuditRow {
  // IMMEDIATE takes the write lock before reading the tail, so concurrent writers (worker, CLI)
  // cannot both link to the same previous row.
  const tx = db.transaction((): AuditRow => {
    const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const row = nextAuditRow(input, last, now);
    db.prepare(
      'INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(row.seq, row.at, row.actor, row.action, row.subject, canonicalJson(row.detail), row.prevHash, row.hash);
    return row;
  });
  return tx.immediate();
}

export function listAudit(db: Database.Database, query: { subject?: string; limit?: number } = {}): AuditRow[] {
  const rows = (
    query.subject === undefined
      ? db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?').all(query.limit ?? 1000)
      : db.prepare('SELECT * FROM audit_log WHERE subject = ? ORDER BY seq DESC LIMIT ?').all(query.subject, query.limit ?? 1000)
  ) as AuditDbRow[];
  return rows.map(fromDb).reverse();
}

/** Walks the whole chain in order; stops at the first row that does not verify. */
export function verifyAuditChain(db: Database.Database): AuditVerification {
  const walk = new ChainWalk();
  for (const raw of db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<AuditDbRow>) {
    const broken = walk.next(raw);
    if (broken) return broken;
  }
  return walk.result();
}

/** The chain check, one stored row at a time (the backends read rows their own way). */
export class ChainWalk {
  private prev = GENESIS_HASH;
  private expectedSeq = 1;
  private rows = 0;

  /** Undefined while the chain holds; the verdict naming this row when it does not. */
  next(raw: AuditDbRow): AuditVerification | undefined {
    this.rows += 1;
    const broken = (reason: string): AuditVerification => ({ ok: false, rows: this.rows, firstBrokenRow: raw.seq, reason });
    if (raw.seq !== this.expectedSeq) return broken(`row ${raw.seq} follows row ${this.expectedSeq - 1}: rows are missing`);
    if (raw.prev_hash !== this.prev) return broken(`row ${raw.seq} does not link to the hash of the row before it`);
    let detail: unknown;
    try {
      detail = JSON.parse(raw.detail) as unknown;
    } catch {
      return broken(`row ${raw.seq} has unreadable detail`);
    }
    const expected = auditRowHash({ seq: raw.seq, at: raw.at, actor: raw.actor, action: raw.action, subject: raw.subject, detail, prevHash: raw.prev_hash });
    if (expected !== raw.hash) return broken(`row ${raw.seq} content does not match its hash`);
    this.prev = raw.hash;
    this.expectedSeq += 1;
    return undefined;
  }

  result(): AuditVerification {
    return { ok: true, rows: this.rows };
  }
}
