import { auditRowHash, GENESIS_HASH } from '../../../knowledge/sqlite/audit';
import { useHarness, type KbFactory } from './harness';

/** The hash-chained audit log, as every backend must keep it. */
export function auditContract(backend: string, factory: KbFactory): void {
  describe(`${backend}: hash-chained audit log`, () => {
    const h = useHarness(factory);

    async function fill(n: number): Promise<void> {
      for (let i = 1; i <= n; i++) {
        h.t.clock.now += 1000;
        await h.t.kb.appendAudit({ actor: 'oncall-lead', action: 'approve', subject: `incident/demo/c${i}`, detail: { i, reasons: ['x'] } });
      }
    }

    it('links each row to the previous row’s hash, from a genesis hash', async () => {
      await fill(3);
      const rows = await h.t.kb.listAudit();
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
      expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
      expect(rows[2]!.hash).toBe(auditRowHash(rows[2]!));
      expect(rows[0]!.at).toBe('2026-06-10T12:00:01.000Z');
      expect(await h.t.kb.verifyAuditChain()).toEqual({ ok: true, rows: 3 });
      expect((await h.t.kb.listAudit({ subject: 'incident/demo/c2' })).map((r) => r.seq)).toEqual([2]);
    });

    it('keeps one chain across connections (another process appending)', async () => {
      const other = await h.t.reopen();
      await h.t.kb.appendAudit({ actor: 'a', action: 'x', subject: 's' });
      await other.appendAudit({ actor: 'b', action: 'y', subject: 's' });
      await h.t.kb.appendAudit({ actor: 'a', action: 'z', subject: 's' });
      expect(await other.verifyAuditChain()).toEqual({ ok: true, rows: 3 });
    });
  });
}
