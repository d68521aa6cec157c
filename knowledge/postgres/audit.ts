/**
 * The audit chain on PostgreSQL: one chain however many writers. An append takes a
 * transaction-scoped advisory lock before reading the tail, so appends from every process run one
 * after the other and each links to the row before it; the UNIQUE constraint on prev_hash would
 * reject a fork even if a writer skipped the lock. Hashing is the SQLite backend's, so a chain
 * verifies the same way on either.
 */
import { canonicalJson } from '../canonical-json';
import { ChainWalk, fromDb, nextAuditRow, type AuditDbRow } from '../sqlite/audit';
import type { AuditInput, AuditRow, AuditVerification } from '../types';
import { lockName, type Sql } from './sql';


export function appendAudit(sql: Sql, input: AuditInput, now: () => number): Promise<AuditRow> {
  return sql.atomic(async (tx) => {
    await lockName(tx, 'audit_log');
    const [last] = await tx.rows<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    // The clock is read after the lock: rows in seq order also have non-decreasing times.
    const row = nextAuditRow(input, last, now());
    await tx.run('INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      row.seq, row.at, row.actor, row.action, row.subject, canonicalJson(row.detail), row.prevHash, row.hash,
    ]);
    return row;
  });
}

export async function listAudit(sql: Sql, query: { subject?: string; limit?: number } = {}): Promise<AuditRow[]> {
  const rows =
    query.subject === undefined
      ? await sql.rows<AuditDbRow>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT $1', [query.limit ?? 1000])
      : await sql.rows<AuditDbRow>('SELECT * FROM audit_log WHERE subject = $1 ORDER BY seq DESC LIMIT $2', [query.subject, query.limit ?? 1000]);
  return rows.map(fromDb).reverse();
}

/** Walks the chain in pages of 1000 rows, in order; stops at the first row that does not verify. */
export async function verifyAuditChain(sql: Sql): Promise<AuditVerification> {
  const walk = new ChainWalk();
  for (let after = 0; ; ) {
    const page = await sql.rows<AuditDbRow & Record<string, unknown>>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000', [after]);
    if (page.length === 0) return walk.result();
    for (const raw of page) {
      const broken = walk.next(raw);
      if (broken) return broken;
      after = raw.seq;
    }
  }
}
