/** Outcome samples on PostgreSQL (rows and mapping as SQLite's, knowledge/sqlite/outcomes.ts). */
import type { OutcomeSample, OutcomeSampleInput } from '../../policies/outcomes';
import { OUTCOME_COLUMNS, outcomeValues, toOutcome, type OutcomeQuery, type OutcomeRow } from '../sqlite/outcomes';
import type { Sql } from './sql';

const PLACEHOLDERS = OUTCOME_COLUMNS.split(',').map((_, i) => `$${i + 1}`).join(', ');

export async function recordOutcomes(sql: Sql, samples: readonly OutcomeSampleInput[]): Promise<OutcomeSample[]> {
  const out: OutcomeSample[] = [];
  for (const s of samples) {
    const [row] = await sql.rows<OutcomeRow>(`INSERT INTO outcome_samples (${OUTCOME_COLUMNS}) VALUES (${PLACEHOLDERS}) RETURNING *`, outcomeValues(s));
    out.push(toOutcome(row as OutcomeRow));
  }
  return out;
}

/** Newest first. */
export async function outcomeSamples(sql: Sql, q: OutcomeQuery): Promise<OutcomeSample[]> {
  const rows = await sql.rows<OutcomeRow>(
    'SELECT * FROM outcome_samples WHERE ($1::text IS NULL OR fault_class = $1) AND ($2::text IS NULL OR action = $2) ORDER BY at DESC, id DESC LIMIT $3',
    [q.faultClass ?? null, q.action ?? null, q.limit ?? 500],
  );
  return rows.map(toOutcome);
}
