/**
 * `KnowledgeBase.transaction` on SQLite: what goes through `tx` lands together or not at all, and
 * calls made meanwhile by unrelated code on the same connection wait for the transaction instead
 * of slipping into it (and being rolled back with it). Plus the keys that make retried writes
 * land once: action history by idempotency key, cases by incident run.
 */
import { SqliteKnowledgeBase } from '../../knowledge/sqlite';
import type { CaseInput } from '../../knowledge/types';
import { tempKb, type TempKb } from './helpers';

const EXPLANATION = { trigger: 't', evidence: 'e', cause: 'c', action: 'a', impact: 'i', verification: 'v' };
const CASE: CaseInput = {
  incidentId: 'incident/demo/enrich',
  signature: { pipeline: 'demo', component: 'enrich', faultClass: 'crash', severity: 'high' },
  mode: 'active',
  evidence: [],
  plan: null,
  alternatives: [],
  action: 'microreboot',
  attempts: [{ action: 'microreboot', verification: 'pass' }],
  outcome: 'healed',
  explanation: EXPLANATION,
};

/** Lets every pending promise callback and I/O callback run, without any timer. */
async function drain(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

describe('knowledge base transactions (SQLite)', () => {
  let t: TempKb;
  beforeEach(() => {
    t = tempKb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('commits every write made through tx together', async () => {
    const id = await t.kb.transaction(async (tx) => {
      const c = await tx.recordCase(CASE);
      await tx.appendAudit({ actor: 'test', action: 'case-recorded', subject: CASE.incidentId, detail: { caseId: c.id } });
      // Reads through tx see the transaction's own writes.
      expect(await tx.casesForIncident(CASE.incidentId)).toHaveLength(1);
      return c.id;
    });
    expect((await t.kb.getCase(id))?.outcome).toBe('healed');
    expect((await t.kb.listAudit()).map((r) => r.action)).toEqual(['case-recorded']);
  });

  it('rolls every write back when fn throws, and rethrows', async () => {
    await expect(
      t.kb.transaction(async (tx) => {
        await tx.recordCase(CASE);
        await tx.appendAudit({ actor: 'test', action: 'case-recorded', subject: CASE.incidentId });
        throw new Error('boom after two writes');
      }),
    ).rejects.toThrow('boom after two writes');
    expect(await t.kb.casesForIncident(CASE.incidentId)).toEqual([]);
    expect(await t.kb.listAudit()).toEqual([]);
    expect(await t.kb.verifyAuditChain()).toEqual({ ok: true, rows: 0 });
  });

  it('makes unrelated calls on the same connection wait until the transaction ends, so a rollback does not take them along', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const inside = t.kb.transaction(async (tx) => {
      await tx.appendAudit({ actor: 'tx', action: 'inside', subject: 's' });
      await held; // the transaction stays open across this await
      throw new Error('roll back');
    });
    await drain();
    // Meanwhile, someone else writes and reads through the knowledge base object itself.
    let outsideDone = false;
    const outside = t.kb.appendAudit({ actor: 'other', action: 'outside', subject: 's' }).then((row) => {
      outsideDone = true;
      return row;
    });
    let readDone = false;
    const read = t.kb.listAudit().then((rows) => {
      readDone = true;
      return rows;
    });
    await drain();
    expect({ outsideDone, readDone }).toEqual({ outsideDone: false, readDone: false });

    release();
    await expect(inside).rejects.toThrow('roll back');
    const row = await outside;
    // The outside read ran after the rollback: it never saw the uncommitted row.
    expect((await read).map((r) => r.action)).toEqual(['outside']);
    expect(row.seq).toBe(1);
    expect((await t.kb.listAudit()).map((r) => r.action)).toEqual(['outside']);
    expect(await t.kb.verifyAuditChain()).toEqual({ ok: true, rows: 1 });
  });

  it('runs transactions one after another, in call order', async () => {
    const order: string[] = [];
    const first = t.kb.transaction(async (tx) => {
      order.push('first begins');
      await drain();
      await tx.appendAudit({ actor: 'a', action: 'first', subject: 's' });
      order.push('first ends');
    });
    const second = t.kb.transaction(async (tx) => {
      order.push('second begins');
      await tx.appendAudit({ actor: 'a', action: 'second', subject: 's' });
      order.push('second ends');
    });
    await Promise.all([first, second]);
    expect(order).toEqual(['first begins', 'first ends', 'second begins', 'second ends']);
    expect((await t.kb.listAudit()).map((r) => r.action)).toEqual(['first', 'second']);
  });

  it('tx.transaction runs inside the same transaction: a throw in the nested body rolls back the outer writes too', async () => {
    await expect(
      t.kb.transaction(async (tx) => {
        await tx.appendAudit({ actor: 'a', action: 'outer', subject: 's' });
        await tx.transaction(async (inner) => {
          expect(inner).toBe(tx);
          await inner.appendAudit({ actor: 'a', action: 'inner', subject: 's' });
          throw new Error('nested failure');
        });
      }),
    ).rejects.toThrow('nested failure');
    expect(await t.kb.listAudit()).toEqual([]);
  });

  it('refuses, instead of deadlocking, a call on the outer object from inside its own transaction', async () => {
    await expect(t.kb.transaction(async () => t.kb.appendAudit({ actor: 'a', action: 'wrong handle', subject: 's' }))).rejects.toThrow(
      /outside its transaction handle/,
    );
    await expect(t.kb.transaction(async () => t.kb.transaction(async () => 1))).rejects.toThrow(/inside its own transaction/);
    // The knowledge base is still usable afterwards.
    expect((await t.kb.appendAudit({ actor: 'a', action: 'after', subject: 's' })).seq).toBe(1);
  });

  it('refuses a transaction handle used after its transaction ended', async () => {
    const leaked = await t.kb.transaction(async (tx) => tx);
    await expect(leaked.appendAudit({ actor: 'a', action: 'late', subject: 's' })).rejects.toThrow(/after its transaction ended/);
  });

  it('holds the write lock of the file: another connection cannot write while the transaction is open', async () => {
    const other = new SqliteKnowledgeBase(t.file, { busyTimeoutMs: 50 });
    try {
      await t.kb.transaction(async (tx) => {
        await tx.appendAudit({ actor: 'a', action: 'mine', subject: 's' });
        // better-sqlite3's errors come from the native addon's realm: match the message, not the class.
        await expect(other.appendAudit({ actor: 'b', action: 'theirs', subject: 's' })).rejects.toMatchObject({ message: expect.stringMatching(/locked|busy/i) });
      });
      expect((await other.appendAudit({ actor: 'b', action: 'theirs', subject: 's' })).seq).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('records an action once per idempotency key, and a case once per incident run', async () => {
    const action = { at: 1, pipeline: 'demo', resource: 'demo/enrich', action: 'microreboot' as const, incidentId: CASE.incidentId };
    expect(await t.kb.recordAction({ ...action, idempotencyKey: 'k:1' })).toBe(true);
    expect(await t.kb.recordAction({ ...action, idempotencyKey: 'k:1', at: 2 })).toBe(false);
    // Without a key every call is a row (the pre-key behaviour).
    expect(await t.kb.recordAction(action)).toBe(true);
    expect(await t.kb.recordAction(action)).toBe(true);
    expect(await t.kb.recentActions({ since: 0 })).toHaveLength(3);

    const c = await t.kb.recordCase({ ...CASE, runKey: `${CASE.incidentId}@run-1` });
    expect(c.runKey).toBe(`${CASE.incidentId}@run-1`);
    await expect(t.kb.recordCase({ ...CASE, runKey: `${CASE.incidentId}@run-1` })).rejects.toMatchObject({ message: expect.stringMatching(/UNIQUE/) });
    expect((await t.kb.caseForRun(`${CASE.incidentId}@run-1`))?.id).toBe(c.id);
    expect(await t.kb.caseForRun(`${CASE.incidentId}@run-2`)).toBeUndefined();
  });
});
