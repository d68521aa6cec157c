import { tempKb, type TempKb } from './helpers';

const TTL = 30_000;

describe('leases with fencing tokens', () => {
  let t: TempKb;
  beforeEach(() => {
    t = tempKb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const acquire = (holder: string, resource = 'demo/enrich') => t.kb.acquireLease({ resource, pipeline: 'demo', holder, ttlMs: TTL });

  it('gives one holder per resource; the same holder again is idempotent', async () => {
    const a = await acquire('inc-a');
    expect(a).toMatchObject({ acquired: true, lease: { holder: 'inc-a', token: 1, expiresAt: t.clock.now + TTL } });
    t.clock.now += 10_000;
    const again = await acquire('inc-a');
    expect(again).toMatchObject({ acquired: true, lease: { token: 1, expiresAt: t.clock.now + TTL } });
    const b = await acquire('inc-b');
    expect(b).toMatchObject({ acquired: false, heldBy: { holder: 'inc-a', token: 1 } });
    expect((await acquire('inc-b', 'demo/score')).acquired).toBe(true);
    expect((await t.kb.activeLeases()).map((l) => l.resource)).toEqual(['demo/enrich', 'demo/score']);
  });

  it('lets an expired lease be taken over with a higher token, fencing out the old holder', async () => {
    await acquire('inc-a');
    t.clock.now += TTL;
    const b = await acquire('inc-b');
    expect(b).toMatchObject({ acquired: true, lease: { holder: 'inc-b', token: 2 } });
    // The old holder's token is stale: no renew, no release, fence check fails.
    expect(await t.kb.renewLease({ resource: 'demo/enrich', holder: 'inc-a', token: 1, ttlMs: TTL })).toBeUndefined();
    expect(await t.kb.releaseLease({ resource: 'demo/enrich', holder: 'inc-a', token: 1 })).toBe(false);
    expect(await t.kb.checkFence('demo/enrich', 1)).toBe(false);
    expect(await t.kb.checkFence('demo/enrich', 2)).toBe(true);
  });

  it('renews while held, releases, and never reuses a token', async () => {
    await acquire('inc-a');
    t.clock.now += 20_000;
    const renewed = await t.kb.renewLease({ resource: 'demo/enrich', holder: 'inc-a', token: 1, ttlMs: TTL });
    expect(renewed?.expiresAt).toBe(t.clock.now + TTL);
    expect(await t.kb.releaseLease({ resource: 'demo/enrich', holder: 'inc-a', token: 1 })).toBe(true);
    expect(await t.kb.activeLeases()).toEqual([]);
    expect(await t.kb.checkFence('demo/enrich', 1)).toBe(false);
    const tokens: number[] = [];
    for (const holder of ['inc-b', 'inc-c', 'inc-a']) {
      const r = await acquire(holder);
      if (!r.acquired) throw new Error('expected the lease');
      tokens.push(r.lease.token);
      await t.kb.releaseLease({ resource: 'demo/enrich', holder, token: r.lease.token });
    }
    expect(tokens).toEqual([2, 3, 4]);
  });

  it('is shared between connections (two workers)', async () => {
    const other = t.reopen();
    await acquire('inc-a');
    expect((await other.acquireLease({ resource: 'demo/enrich', pipeline: 'demo', holder: 'inc-b', ttlMs: TTL })).acquired).toBe(false);
  });
});

describe('actuator log', () => {
  let t: TempKb;
  beforeEach(() => {
    t = tempKb();
  });
  afterEach(async () => {
    await t.cleanup();
  });

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
    const first = await t.kb.recordActuation(entry());
    expect(first).toMatchObject({ alreadyRecorded: false, actuation: { status: 'started', detail: { pid: 42 } } });
    const retry = await t.kb.recordActuation(entry());
    expect(retry.alreadyRecorded).toBe(true);
    expect((await t.kb.recordActuation(entry(2))).alreadyRecorded).toBe(false);
    expect(await t.kb.listActuations({ incidentId: 'incident/demo/enrich' })).toHaveLength(2);
  });

  it('completes once and keeps the first result', async () => {
    await t.kb.recordActuation(entry());
    t.clock.now += 500;
    const done = await t.kb.completeActuation(entry().idempotencyKey, { restarted: true });
    expect(done).toMatchObject({ status: 'done', result: { restarted: true }, completedAt: t.clock.now });
    const twice = await t.kb.completeActuation(entry().idempotencyKey, { restarted: 'again' });
    expect(twice.result).toEqual({ restarted: true });
    await expect(t.kb.completeActuation('unknown-key')).rejects.toThrow(/no actuation/);
  });

  it('survives reopening the file (a new worker after a crash)', async () => {
    await t.kb.recordActuation(entry());
    await t.kb.close();
    const fresh = t.reopen();
    expect((await fresh.recordActuation(entry())).alreadyRecorded).toBe(true);
    expect((await fresh.getActuation(entry().idempotencyKey))?.status).toBe('started');
  });
});
