/**
 * The PostgreSQL knowledge base against a real server (started here from Debian's packages, or
 * HOMEOSTAT_POSTGRES_URL): the same contract suites as SQLite, each test in a fresh schema, then
 * what only a shared server can show — concurrent migrations, a newer schema refused, the audit
 * log's append-only rule enforced by the database, and leases and the audit chain contended by
 * several OS processes.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { ERROR_CODES, HomeostatError } from '../../common/errors';
import { connectOrStartPostgres, type PostgresHandle } from '../../infra/postgres';
import { PostgresKnowledgeBase } from '../../knowledge/postgres';
import { PG_MIGRATIONS } from '../../knowledge/postgres/migrations';
import type { KnowledgeBase } from '../../knowledge/types';
import { auditContract } from './contract/audit';
import { decideContract } from './contract/decide';
import { outcomesContract } from './contract/outcomes';
import type { KbFactory } from './contract/harness';
import { leasesContract } from './contract/leases';
import { recordsContract } from './contract/records';
import { transactionsContract } from './contract/transactions';

const run = promisify(execFile);
const RACER = path.join(__dirname, '..', 'fixtures', 'knowledge', 'kb-racer.ts');
const TSX = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');

let pg: PostgresHandle;
beforeAll(async () => {
  pg = await connectOrStartPostgres();
}, 300_000);
afterAll(async () => {
  await pg?.stop();
});

const freshSchema = (): string => `t_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

async function asOwner<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: pg.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const dropSchema = (schema: string): Promise<unknown> => asOwner((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

const pgFactory: KbFactory = async (start = Date.now()) => {
  const schema = freshSchema();
  const clock = { now: start };
  const opened: KnowledgeBase[] = [];
  const open = async (): Promise<KnowledgeBase> => {
    const kb = await PostgresKnowledgeBase.open(pg.url, { schema, now: () => clock.now });
    opened.push(kb);
    return kb;
  };
  return {
    kb: await open(),
    clock,
    reopen: open,
    concurrentConnections: true,
    cleanup: async () => {
      for (const kb of opened) await kb.close();
      await dropSchema(schema);
    },
  };
};

recordsContract('PostgreSQL', pgFactory);
leasesContract('PostgreSQL', pgFactory);
auditContract('PostgreSQL', pgFactory);
transactionsContract('PostgreSQL', pgFactory);
decideContract('PostgreSQL', pgFactory);
outcomesContract('PostgreSQL', pgFactory);

describe('PostgreSQL knowledge base: what a shared server adds', () => {
  let schema: string;
  const opened: PostgresKnowledgeBase[] = [];
  const open = async (options: { schema?: string } = {}): Promise<PostgresKnowledgeBase> => {
    const kb = await PostgresKnowledgeBase.open(pg.url, { schema, ...options });
    opened.push(kb);
    return kb;
  };
  beforeEach(() => {
    schema = freshSchema();
  });
  afterEach(async () => {
    for (const kb of opened.splice(0)) await kb.close();
    await dropSchema(schema);
  });

  it('migrates once when several workers open a fresh knowledge base at the same time, and reopening applies nothing', async () => {
    const kbs = await Promise.all([open(), open(), open(), open()]);
    expect(await kbs[0]!.migrations()).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    const again = await open();
    expect(await again.migrations()).toHaveLength(PG_MIGRATIONS.length);
  });

  it('takes the schema from the URL (?schema=) and selects the backend from HOMEOSTAT_KB', async () => {
    const { openKnowledgeBaseAt } = await import('../../knowledge/open');
    const url = new URL(pg.url);
    url.searchParams.set('schema', schema);
    const kb = await openKnowledgeBaseAt(url.toString());
    try {
      expect(kb).toBeInstanceOf(PostgresKnowledgeBase);
      expect((kb as PostgresKnowledgeBase).schema).toBe(schema);
      await kb.appendAudit({ actor: 'a', action: 'b', subject: 'c' });
    } finally {
      await kb.close();
    }
    const direct = await open();
    expect(await direct.listAudit()).toHaveLength(1);
  });

  it('refuses a schema migrated by a newer Homeostat, naming both versions, and changes nothing', async () => {
    await (await open()).close();
    const future = PG_MIGRATIONS.length + 1;
    await asOwner((c) => c.query(`INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES ($1, 'from-the-future', 0)`, [future]));
    const err = await PostgresKnowledgeBase.open(pg.url, { schema }).then(
      (kb) => {
        opened.push(kb);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HomeostatError);
    expect((err as HomeostatError).code).toBe('HS_SCHEMA_TOO_NEW');
    expect((err as HomeostatError).exitCode).toBe(ERROR_CODES.HS_SCHEMA_TOO_NEW.exitCode);
    expect((err as Error).message).toMatch(
      new RegExp(`^knowledge base postgres://homeostat:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/homeostat \\(schema ${schema}\\) is at schema version ${future}, newer than this Homeostat knows \\(${PG_MIGRATIONS.length}\\)`),
    );
    // The password never appears in the message.
    expect((err as Error).message).not.toContain(new URL(pg.url).password);
    const { rows } = await asOwner((c) => c.query(`SELECT count(*)::int AS n FROM "${schema}".schema_migrations`));
    expect(rows[0].n).toBe(PG_MIGRATIONS.length + 1);
  });

  it('enforces the append-only audit log in the database: no UPDATE/DELETE rights for the working role, and a trigger for the owner', async () => {
    const kb = await open();
    await kb.appendAudit({ actor: 'a', action: 'b', subject: 'c' });
    // As the knowledge base itself works (role homeostat_app): not even allowed to try.
    expect(await kb.rawQuery('SELECT current_user AS u')).toEqual([{ u: 'homeostat_app' }]);
    await expect(kb.rawQuery(`UPDATE audit_log SET actor = 'mallory'`)).rejects.toThrow(/permission denied for table audit_log/);
    await expect(kb.rawQuery('DELETE FROM audit_log')).rejects.toThrow(/permission denied for table audit_log/);
    await expect(kb.rawQuery('TRUNCATE audit_log')).rejects.toThrow(/permission denied for table audit_log/);
    // Other tables stay writable for it.
    await kb.rawQuery(`UPDATE leases SET expires_at = 0`);
    // As the owner (superuser here): the trigger still refuses.
    await asOwner(async (c) => {
      await c.query(`SET search_path TO "${schema}"`);
      await expect(c.query(`UPDATE audit_log SET actor = 'mallory'`)).rejects.toThrow(/audit_log is append-only/);
      await expect(c.query('DELETE FROM audit_log')).rejects.toThrow(/audit_log is append-only/);
      await expect(c.query('TRUNCATE audit_log')).rejects.toThrow(/audit_log is append-only/);
      // A fork (two rows on one predecessor) is refused by the constraint even without the lock.
      const [first] = (await c.query('SELECT hash FROM audit_log WHERE seq = 1')).rows as { hash: string }[];
      await c.query(`INSERT INTO audit_log VALUES (2, 'x', 'a', 'b', 'c', 'null', $1, 'h2')`, [first!.hash]);
      await expect(c.query(`INSERT INTO audit_log VALUES (3, 'x', 'a', 'b', 'c', 'null', $1, 'h3')`, [first!.hash])).rejects.toThrow(/duplicate key/);
    });
    expect(await kb.verifyAuditChain()).toMatchObject({ ok: false, firstBrokenRow: 2 });
  });

  it('names the first broken row after an owner disables the trigger and edits a row', async () => {
    const kb = await open();
    for (let i = 0; i < 4; i++) await kb.appendAudit({ actor: 'a', action: 'b', subject: `s${i}` });
    await asOwner(async (c) => {
      await c.query(`SET search_path TO "${schema}"`);
      await c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
      await c.query(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 3`);
    });
    expect(await kb.verifyAuditChain()).toEqual({ ok: false, rows: 3, firstBrokenRow: 3, reason: 'row 3 content does not match its hash' });
  });

  it('keeps leases exclusive and fencing tokens growing under contention from several OS processes', async () => {
    await (await open()).close();
    const url = new URL(pg.url);
    url.searchParams.set('schema', schema);
    const racers = Array.from({ length: 4 }, (_, i) =>
      run(TSX, [RACER, url.toString(), `racer-${i}`, '25'], { env: { ...process.env }, maxBuffer: 8 * 1024 * 1024 }),
    );
    const outputs = await Promise.all(racers);
    type Event = { kind: 'held' | 'released'; holder: string; resource: string; token: number; seq: number };
    const events = outputs.flatMap((o) => o.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event));
    expect(events.filter((e) => e.kind === 'held').length).toBeGreaterThan(10);
    // Per resource: tokens handed out are unique.
    for (const resource of new Set(events.map((e) => e.resource))) {
      const held = events.filter((e) => e.kind === 'held' && e.resource === resource).map((e) => e.token);
      expect(new Set(held).size).toBe(held.length);
    }
    // The audit chain all racers appended to is one unbroken chain, and along it no two holds of
    // one resource overlap and tokens only grow.
    const kb = await open();
    expect(await kb.verifyAuditChain()).toEqual({ ok: true, rows: events.length });
    const holding = new Map<string, string>();
    const lastToken = new Map<string, number>();
    for (const row of await kb.listAudit({ limit: 10_000 })) {
      const d = row.detail as { resource: string; token: number };
      if (row.action === 'held') {
        expect(holding.get(d.resource)).toBeUndefined();
        holding.set(d.resource, row.subject);
        expect(d.token).toBeGreaterThan(lastToken.get(d.resource) ?? 0);
        lastToken.set(d.resource, d.token);
      } else {
        expect(holding.get(d.resource)).toBe(row.subject);
        holding.delete(d.resource);
      }
    }
  }, 120_000);
});
