import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ERROR_CODES } from '../../common/errors';
import { auditRowHash, GENESIS_HASH } from '../../knowledge/sqlite/audit';
import { auditContract } from './contract/audit';
import { sqliteFactory, tempKb, type TempKb } from './helpers';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'homeostat.js');

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

auditContract('SQLite', sqliteFactory);

describe('SQLite audit log: tampering and the CLI', () => {
  let t: TempKb;
  beforeEach(() => {
    t = tempKb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function fill(n: number): Promise<void> {
    for (let i = 1; i <= n; i++) {
      t.clock.now += 1000;
      await t.kb.appendAudit({ actor: 'oncall-lead', action: 'approve', subject: `incident/demo/c${i}`, detail: { i, reasons: ['x'] } });
    }
  }

  it('refuses ordinary UPDATE and DELETE', () => {
    const db = t.kb.rawDatabase();
    t.kb.rawDatabase().exec(`INSERT INTO audit_log VALUES (1, 'x', 'a', 'b', 'c', 'null', '${GENESIS_HASH}', 'h')`);
    expect(() => db.exec(`UPDATE audit_log SET actor = 'mallory'`)).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM audit_log')).toThrow(/append-only/);
  });

  it('names the first broken row after a raw SQL edit, deletion, or a re-hashed forgery', async () => {
    await fill(5);
    const db = t.kb.rawDatabase();
    db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete');
    db.prepare(`UPDATE audit_log SET detail = '{"i":3,"reasons":["forged"]}' WHERE seq = 3`).run();
    expect(await t.kb.verifyAuditChain()).toEqual({ ok: false, rows: 3, firstBrokenRow: 3, reason: 'row 3 content does not match its hash' });

    // A forger who also recomputes row 3's hash breaks the link from row 4.
    const row3 = (await t.kb.listAudit()).find((r) => r.seq === 3)!;
    db.prepare('UPDATE audit_log SET hash = ? WHERE seq = 3').run(auditRowHash(row3));
    expect(await t.kb.verifyAuditChain()).toMatchObject({ ok: false, firstBrokenRow: 4 });

    const t2 = tempKb();
    try {
      for (let i = 0; i < 4; i++) await t2.kb.appendAudit({ actor: 'a', action: 'b', subject: 'c' });
      const db2 = t2.kb.rawDatabase();
      db2.exec('DROP TRIGGER audit_log_no_delete');
      db2.prepare('DELETE FROM audit_log WHERE seq = 2').run();
      expect(await t2.kb.verifyAuditChain()).toMatchObject({ ok: false, firstBrokenRow: 3, reason: 'row 3 follows row 1: rows are missing' });
    } finally {
      await t2.cleanup();
    }
  });

  it('`homeostat audit verify` passes on a good chain and names the broken row otherwise', async () => {
    await fill(3);
    const ok = await cli(['audit', 'verify', '--db', t.file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('audit chain ok: 3 row(s) verified');
    // $HOMEOSTAT_KB is the default database.
    const viaEnv = await cli(['audit', 'verify', '--json'], { HOMEOSTAT_KB: t.file });
    expect(JSON.parse(viaEnv.stdout)).toEqual({ db: t.file, ok: true, rows: 3 });

    const db = t.kb.rawDatabase();
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`).run();
    const bad = await cli(['audit', 'verify', '--db', t.file]);
    expect(bad.code).toBe(ERROR_CODES.HS_INTEGRITY.exitCode);
    expect(bad.stderr).toContain('audit chain BROKEN at row 2');
    const json = await cli(['audit', 'verify', '--db', t.file, '--json']);
    expect(json.code).toBe(ERROR_CODES.HS_INTEGRITY.exitCode);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBrokenRow: 2 });

    const missing = await cli(['audit', 'verify', '--db', path.join(t.dir, 'nope.db')]);
    expect(missing.code).toBe(ERROR_CODES.HS_NOT_FOUND.exitCode);
  });
});
