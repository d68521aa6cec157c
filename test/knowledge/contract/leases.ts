import { useHarness, type KbFactory } from './harness';

const TTL = 30_000;

/** Leases with fencing tokens, and the actuator log. */
export function leasesContract(backend: string, factory: KbFactory): void {
  describe(`${backend}: leases with fencing tokens`, () => {
    const h = useHarness(factory);

    const acquire = (holder: string, resource = 'demo/enrich') => h.t.kb.acquireLease({ resource, pipeline: 'demo', holder, ttlMs: TTL });

    it('gives one holder per resource; the same holder again is idempotent', async () => {
      const a = await acquire('inc-a');
      expect(a).toMatchObject({ acquired: true, lease: { holder: 'inc-a', token: 1, expiresAt: h.t.clock.now + TTL } });
      h.t.clock.now += 10_000;
      const again = await acquire('inc-a');
      expect(again).toMatchObject({ acquired: true, lease: { token: 1, expiresAt: h.t.clock.now + TTL } });
      const b = await acquire('inc-b');
      expect(b).toMatchObject({ acquired: false, heldBy: { holder: 'inc-a', token: 1 } });
      expect((await acquire('inc-b', 'demo/score')).acquired).toBe(true);
      expect((await h.t.kb.activeLeases()).map((l) => l.resource)).toEqual(['demo/enrich', 'demo/score']);
    });

    it('lets an expired lease be taken over with a higher token, fencing out the old holder', async () => {
      await acquire('inc-a');
      h.t.clock.now += TTL;
      const b = await acquire('inc-b');
      expect(b).toMatchObject({ acquired: true, lease: { holder: 'inc-b', token: 2 } });
      // The old holder's token is stale: no renew, no release, fence check fails.
      expect(await h.t.kb.renewLease({ resource: 'demo/enrich', holder: 'inc-a', token: 1, ttlMs: TTL })).toBeUndefined();
      expect(await h.t.kb.releaseLease({ resource: 'demo/enrich', holder: 'inc-a', token: 1 })).toBe(false);
      expect(await h.t.kb.checkFence('demo/enrich', 1)).toBe(false);
      expect(await h.t.kb.checkFence('demo/enrich', 2)).toBe(true);
    });

    it('renews while held, releases, and never reuses a token', async () => {
      await acquire('inc-a');
      h.t.clock.now += 20_000;
      const renewed = await h.t.kb.renewLease({ resource: 'demo/enrich', holder: 'inc-a', token: 1, ttlMs: TTL });
      expect(renewed?.expiresAt).toBe(h.t.clock.now + TTL);
      expect(await h.t.kb.releaseLease({ resource: 'demo/enrich', holder: 'inc-a', token: 1 })).toBe(true);
      expect(await h.t.kb.activeLeases()).toEqual([]);
      expect(await h.t.kb.checkFence('demo/enrich', 1)).toBe(false);
      const tokens: number[] = [];
      for (const holder of ['inc-b', 'inc-c', 'inc-a']) {
        const r = await acquire(holder);
        if (!r.acquired) throw new Error('expected the lease');
        tokens.push(r.lease.token);
        await h.t.kb.releaseLease({ resource: 'demo/enrich', holder, token: r.lease.token });
      }
      expect(tokens).toEqual([2, 3, 4]);
    });

    it('is shared between connections (two workers)', async () => {
      const other = await h.t.reopen();
      await acquire('inc-a');
      expect((await other.acquireLease({ resource: 'demo/enrich', pipeline: 'demo', holder: 'inc-b', ttlMs: TTL })).acquired).toBe(false);
    });
  });

  describe(`${backend}: actuator log`, () => {
    const h = useHarness(factory);

    const entry = (attempt = 1) => ({
      idempotencyKey: `incident/demo/enrich:execute:microreboot:${attempt}`,
      incidentId: 'incident/demo/enrich',
      step: 'execute',
      attempt,
      action: 'microreboot' as const,
      resource: 'demo/enrich',
      detail: { pid: 42 },
    });

    it('records a key once; a retry learns it already happened', async () => {
      const first = await h.t.kb.recordActuation(entry());
      expect(first).toMatchObject({ alreadyRecorded: false, actuation: { status: 'started', detail: { pid: 42 } } });
      const retry = await h.t.kb.recordActuation(entry());
      expect(retry.alreadyRecorded).toBe(true);
      expect((await h.t.kb.recordActuation(entry(2))).alreadyRecorded).toBe(false);
      expect(await h.t.kb.listActuations({ incidentId: 'incident/demo/enrich' })).toHaveLength(2);
    });

    it('completes once and keeps the first result', async () => {
      await h.t.kb.recordActuation(entry());
      h.t.clock.now += 500;
      const done = await h.t.kb.completeActuation(entry().idempotencyKey, { restarted: true });
      expect(done).toMatchObject({ status: 'done', result: { restarted: true }, completedAt: h.t.clock.now });
      const twice = await h.t.kb.completeActuation(entry().idempotencyKey, { restarted: 'again' });
      expect(twice.result).toEqual({ restarted: true });
      await expect(h.t.kb.completeActuation('unknown-key')).rejects.toThrow(/no actuation/);
    });

    it('survives reopening (a new worker after a crash)', async () => {
      await h.t.kb.recordActuation(entry());
      await h.t.kb.close();
      const fresh = await h.t.reopen();
      expect((await fresh.recordActuation(entry())).alreadyRecorded).toBe(true);
      expect((await fresh.getActuation(entry().idempotencyKey))?.status).toBe('started');
    });
  });
}
