import { ERROR_CODES, HomeostatError } from '../../common/errors';
import { MIGRATIONS } from '../../knowledge/sqlite/migrations';
import { SqliteKnowledgeBase } from '../../knowledge/sqlite';
import { recordsContract } from './contract/records';
import { transactionsContract } from './contract/transactions';
import { sqliteFactory, tempKb, type TempKb } from './helpers';

recordsContract('SQLite', sqliteFactory);
transactionsContract('SQLite', sqliteFactory);

describe('SQLite knowledge base', () => {
  let t: TempKb;
  beforeEach(() => {
    t = tempKb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('runs in WAL mode with a busy timeout, and migrations are idempotent on reopen', async () => {
    const db = t.kb.rawDatabase();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(t.kb.migrations()).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    await t.kb.appendAudit({ actor: 'a', action: 'b', subject: 'c' });
    await t.kb.close();
    const again = t.reopen();
    const third = t.reopen();
    expect(again.migrations()).toHaveLength(MIGRATIONS.length);
    expect(third.migrations()).toHaveLength(MIGRATIONS.length);
    expect(await again.verifyAuditChain()).toEqual({ ok: true, rows: 1 });
  });

  it('refuses a database migrated by a newer Homeostat, naming both versions, and changes nothing', async () => {
    const db = t.kb.rawDatabase();
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(MIGRATIONS.length + 1, 'from-the-future', 0);
    await t.kb.close();
    let err: unknown;
    try {
      new SqliteKnowledgeBase(t.file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HomeostatError);
    expect((err as HomeostatError).code).toBe('HS_SCHEMA_TOO_NEW');
    expect((err as HomeostatError).exitCode).toBe(ERROR_CODES.HS_SCHEMA_TOO_NEW.exitCode);
    expect((err as Error).message).toBe(
      `knowledge base ${t.file} is at schema version ${MIGRATIONS.length + 1}, newer than this Homeostat knows (${MIGRATIONS.length}): upgrade Homeostat, or open a database made by this version.`,
    );
  });
});
