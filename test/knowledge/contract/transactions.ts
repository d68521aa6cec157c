import { HomeostatError } from '../../../common/errors';
import type { KnowledgeBase } from '../../../knowledge/types';
import { useHarness, type KbFactory } from './harness';

const EXPLANATION = { trigger: 't', evidence: 'e', cause: 'c', action: 'a', impact: 'i', verification: 'v' };

async function writeEverything(kb: KnowledgeBase, at: number): Promise<number> {
  const lease = await kb.acquireLease({ resource: 'demo/enrich', pipeline: 'demo', holder: 'inc-a', ttlMs: 60_000 });
  if (!lease.acquired) throw new Error('expected the lease');
  await kb.recordActuation({ idempotencyKey: 'k1', incidentId: 'inc-a', step: 'execute', attempt: 1, action: 'microreboot', resource: 'demo/enrich' });
  await kb.completeActuation('k1', { ok: true });
  await kb.recordAction({ at, pipeline: 'demo', resource: 'demo/enrich', action: 'microreboot', incidentId: 'inc-a' });
  await kb.appendAudit({ actor: 'w', action: 'execute.microreboot', subject: 'inc-a' });
  const c = await kb.recordCase({
    incidentId: 'inc-a',
    signature: { pipeline: 'demo', component: 'enrich', faultClass: 'crash', severity: 'high' },
    mode: 'active',
    evidence: [],
    plan: null,
    alternatives: null,
    action: 'microreboot',
    attempts: [{ action: 'microreboot', verification: 'pass' }],
    outcome: 'healed',
    explanation: EXPLANATION,
  });
  return c.id;
}

/** Explicit transactions: all or nothing, nested calls join, concurrent ones serialise. */
export function transactionsContract(backend: string, factory: KbFactory): void {
  describe(`${backend}: transactions`, () => {
    const h = useHarness(factory);

    it('lands every write of a transaction together, and reads its own writes inside it', async () => {
      const id = await h.t.kb.transaction(async (tx) => {
        const caseId = await writeEverything(tx, h.t.clock.now);
        expect(await tx.getCase(caseId)).toBeDefined();
        expect(await tx.verifyAuditChain()).toEqual({ ok: true, rows: 1 });
        return caseId;
      });
      expect(await h.t.kb.getCase(id)).toMatchObject({ incidentId: 'inc-a' });
      expect((await h.t.kb.getActuation('k1'))?.status).toBe('done');
      expect(await h.t.kb.recentActions({ since: 0 })).toHaveLength(1);
      expect(await h.t.kb.activeLeases()).toHaveLength(1);
      expect(await h.t.kb.verifyAuditChain()).toEqual({ ok: true, rows: 1 });
    });

    it('rolls every write back when fn throws, and rethrows', async () => {
      const boom = new Error('template failed half-way');
      await expect(
        h.t.kb.transaction(async (tx) => {
          await writeEverything(tx, h.t.clock.now);
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await h.t.kb.pastCases({})).toEqual([]);
      expect(await h.t.kb.getActuation('k1')).toBeUndefined();
      expect(await h.t.kb.recentActions({ since: 0 })).toEqual([]);
      expect(await h.t.kb.activeLeases()).toEqual([]);
      expect(await h.t.kb.listAudit()).toEqual([]);
      // The lease counter did not move either: the next holder still gets token 1.
      expect(await h.t.kb.acquireLease({ resource: 'demo/enrich', pipeline: 'demo', holder: 'inc-b', ttlMs: 1000 })).toMatchObject({ acquired: true, lease: { token: 1 } });
      // And the knowledge base is usable afterwards.
      await h.t.kb.appendAudit({ actor: 'a', action: 'b', subject: 'c' });
      expect(await h.t.kb.verifyAuditChain()).toEqual({ ok: true, rows: 1 });
    });

    it('runs tx.transaction(f) inside the same transaction: an outer failure undoes the inner work', async () => {
      await expect(
        h.t.kb.transaction(async (tx) => {
          await tx.transaction(async (inner) => {
            await inner.appendAudit({ actor: 'a', action: 'inner', subject: 's' });
          });
          expect(await tx.listAudit()).toHaveLength(1);
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      expect(await h.t.kb.listAudit()).toEqual([]);
    });

    it('keeps uncommitted writes invisible to another connection until COMMIT', async () => {
      const other = await h.t.reopen();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let written!: () => void;
      const wrote = new Promise<void>((resolve) => {
        written = resolve;
      });
      const tx = h.t.kb.transaction(async (t) => {
        await t.appendAudit({ actor: 'a', action: 'pending', subject: 's' });
        written();
        await gate;
      });
      await wrote;
      expect(await other.listAudit()).toEqual([]);
      release();
      await tx;
      expect((await other.listAudit()).map((r) => r.action)).toEqual(['pending']);
    });

    it('refuses serialiseOn outside a transaction', async () => {
      await expect(h.t.kb.serialiseOn('admission')).rejects.toThrow(HomeostatError);
    });

    it('serialises check-then-act on one scope: concurrent admissions never exceed the limit', async () => {
      const LIMIT = 3;
      const admit = (i: number): Promise<boolean> =>
        h.t.kb.transaction(async (tx) => {
          await tx.serialiseOn('admission:demo');
          const done = await tx.recentActions({ since: 0, pipeline: 'demo' });
          if (done.length >= LIMIT) return false;
          // Give a concurrent admission every chance to read the same count.
          await new Promise((resolve) => setTimeout(resolve, 5));
          await tx.recordAction({ at: h.t.clock.now + i, pipeline: 'demo', resource: `demo/c${i}`, action: 'microreboot', incidentId: `inc-${i}` });
          return true;
        });
      const admitted = await Promise.all(Array.from({ length: 10 }, (_, i) => admit(i)));
      expect(admitted.filter(Boolean)).toHaveLength(LIMIT);
      expect(await h.t.kb.recentActions({ since: 0, pipeline: 'demo' })).toHaveLength(LIMIT);
    });

    it('keeps one audit chain and one lease holder under concurrent callers', async () => {
      const appends = Array.from({ length: 30 }, (_, i) => h.t.kb.appendAudit({ actor: `w${i % 3}`, action: 'x', subject: `s${i}` }));
      const takers = Array.from({ length: 8 }, (_, i) => h.t.kb.acquireLease({ resource: 'demo/sink', pipeline: 'demo', holder: `inc-${i}`, ttlMs: 60_000 }));
      const [rows, leases] = await Promise.all([Promise.all(appends), Promise.all(takers)]);
      expect(new Set(rows.map((r) => r.seq)).size).toBe(30);
      expect(await h.t.kb.verifyAuditChain()).toEqual({ ok: true, rows: 30 });
      expect(leases.filter((l) => l.acquired)).toHaveLength(1);
    });
  });
}
