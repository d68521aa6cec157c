/**
 * Explicit transactions on the SQLite backend. BEGIN IMMEDIATE takes the database's write lock
 * up front, so a transaction is exclusive among writers in every process on the file: that is
 * also why `serialiseOn` has nothing left to do here. One connection per instance means one
 * transaction at a time per instance; a second `transaction()` call waits for the first.
 */
import type Database from 'better-sqlite3';
import { HomeostatError } from '../../common/errors';
import type { KnowledgeBase } from '../types';

export class SqliteTransactions {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly db: Database.Database) {}

  /**
   * `view` is the knowledge base as `fn` sees it: its own `transaction` runs nested work in this
   * same transaction.
   */
  async run<T>(view: KnowledgeBase, fn: (tx: KnowledgeBase) => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(view);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      release();
    }
  }

  serialiseOn(scope: string): Promise<void> {
    if (!this.db.inTransaction) {
      return Promise.reject(new HomeostatError('HS_INTERNAL', `serialiseOn(${scope}) called outside a transaction`));
    }
    return Promise.resolve();
  }
}

/** The instance as seen inside a transaction: same methods, nested `transaction` runs in place. */
export function transactionView<K extends KnowledgeBase>(kb: K): K {
  const view = Object.create(kb) as K;
  Object.defineProperty(view, 'transaction', {
    value: <T>(fn: (tx: KnowledgeBase) => Promise<T>): Promise<T> => fn(view),
  });
  return view;
}
