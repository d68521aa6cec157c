/**
 * How the PostgreSQL modules talk to the database: `Sql` runs one statement, `atomic` runs several
 * as one unit. Outside a transaction, `atomic` takes a pooled client and wraps the statements in
 * BEGIN/COMMIT; inside `KnowledgeBase.transaction` every statement already runs on the
 * transaction's client, so `atomic` just runs them there and the outer COMMIT decides.
 */
import type { Pool, PoolClient, QueryResultRow } from 'pg';

export interface Sql {
  /** Rows of one parameterised statement ($1, $2, …). */
  rows<R extends QueryResultRow>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Affected-row count of one statement. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
  /** Runs `fn` so that all its statements commit together. */
  atomic<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** True when bound to an open transaction. */
  readonly inTransaction: boolean;
}

type Queryable = Pool | PoolClient;

function bind(target: Queryable, inTransaction: boolean, atomic: Sql['atomic']): Sql {
  return {
    inTransaction,
    async rows<R extends QueryResultRow>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      return (await target.query<R>(text, params as unknown[])).rows;
    },
    async run(text: string, params: readonly unknown[] = []): Promise<number> {
      return (await target.query(text, params as unknown[])).rowCount ?? 0;
    },
    atomic,
  };
}

/** Runs `fn` on one client inside BEGIN … COMMIT; a throw rolls back and rethrows. */
export async function inTransaction<T>(pool: Pool, fn: (sql: Sql, client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const sql = transactionSql(client);
    const result = await fn(sql, client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch {
      // The connection itself failed: do not hand it back to the pool.
      broken = true;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

export function transactionSql(client: PoolClient): Sql {
  const sql: Sql = bind(client, true, (fn) => fn(sql));
  return sql;
}

export function poolSql(pool: Pool): Sql {
  return bind(pool, false, (fn) => inTransaction(pool, (sql) => fn(sql)));
}

/**
 * Transaction-scoped advisory lock on `name` within the current schema: concurrent holders of the
 * same name, in any process, run one after the other; it is released at COMMIT or ROLLBACK.
 */
export async function lockName(sql: Sql, name: string): Promise<void> {
  await sql.rows(`SELECT pg_advisory_xact_lock(hashtextextended('homeostat:' || current_schema() || ':' || $1, 0))`, [name]);
}
