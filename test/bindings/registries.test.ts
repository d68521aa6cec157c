import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRegistries, previousPin, type KnowledgeRegistries } from '../../bindings/registries';

describe('registries on the knowledge base', () => {
  let dir: string;
  let reg: KnowledgeRegistries;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-reg-'));
    reg = openRegistries(path.join(dir, 'kb.db'));
  });
  afterEach(async () => {
    await reg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registers schema versions once per definition and keeps a pin history', async () => {
    const v1 = await reg.registerSchema('events', { fields: { a: 'number' } });
    const again = await reg.registerSchema('events', { fields: { a: 'number' } });
    const v2 = await reg.registerSchema('events', { fields: { b: 'number' }, drift: { mode: 'rename', from: 'a', to: 'b' } });
    expect(again.version).toBe(v1.version);
    expect(v2.version).toBe(v1.version + 1);
    await reg.pinSchema('events', v1.version, { reason: 'initial' });
    await reg.pinSchema('events', v2.version, { reason: 'deploy' });
    expect((await reg.pinnedSchema('events'))?.version).toBe(v2.version);
    const history = await reg.schemaPinHistory('events');
    expect(history.map((h) => [h.version, h.reason])).toEqual([[String(v2.version), 'deploy'], [String(v1.version), 'initial']]);
    expect(previousPin(history)?.version).toBe(String(v1.version));
  });

  it('applies a pin with an idempotency key once', async () => {
    const v1 = await reg.registerSchema('events', { fields: { a: 'number' } });
    const v2 = await reg.registerSchema('events', { fields: { a: 'string' } });
    await reg.pinSchema('events', v2.version, { reason: 'deploy' });
    expect(await reg.pinSchema('events', v1.version, { reason: 'rollback', idempotencyKey: 'inc-1#pin' })).toEqual({ applied: true });
    await reg.pinSchema('events', v2.version, { reason: 'someone else' });
    expect(await reg.pinSchema('events', v1.version, { reason: 'rollback', idempotencyKey: 'inc-1#pin' })).toEqual({ applied: false });
    expect((await reg.pinnedSchema('events'))?.version).toBe(v2.version);
  });

  it('stores model artefacts inline and rolls back through the pin history', async () => {
    const m1 = await reg.registerModel('m', { kind: 'logistic-regression', weights: [1, 2], bias: 0.5 }, { holdoutAccuracy: 0.9 });
    const m2 = await reg.registerModel('m', { kind: 'logistic-regression', weights: [-1, -2], bias: 0 }, { holdoutAccuracy: 0.1 });
    await reg.pinModel('m', m1.version, { reason: 'bootstrap' });
    await reg.pinModel('m', m2.version, { reason: 'deploy' });
    const pinned = await reg.pinnedModel('m');
    expect(pinned?.artifact).toEqual({ kind: 'logistic-regression', weights: [-1, -2], bias: 0 });
    expect(pinned?.metrics.holdoutAccuracy).toBe(0.1);
    expect(previousPin(await reg.modelPinHistory('m'))?.version).toBe(m1.version);
    await expect(reg.pinModel('m', '99', { reason: 'x' })).rejects.toThrow(/not registered/);
  });

  it('never rolls back to a version a rollback already replaced', async () => {
    const good = await reg.registerModel('r', { kind: 'logistic-regression', weights: [1], bias: 0 }, { holdoutAccuracy: 0.9 });
    const bad = await reg.registerModel('r', { kind: 'logistic-regression', weights: [-1], bias: 0 }, { holdoutAccuracy: 0.1 });
    await reg.pinModel('r', good.version, { reason: 'bootstrap' });
    await reg.pinModel('r', bad.version, { reason: 'deploy' });
    expect((await reg.rollbackTarget('r'))?.version).toBe(good.version);
    // The rollback, tagged as model-rollback tags it.
    await reg.pinModel('r', good.version, { reason: 'model-rollback' });
    await reg.tagVersion('r', bad.version, { 'homeostat.rolled_back_by': 'incident/p/score' });
    await reg.tagVersion('r', good.version, { 'homeostat.restored_by': 'incident/p/score' });
    // The version pinned before the current one is the bad one: no known-good target is left.
    expect(previousPin(await reg.modelPinHistory('r'))?.version).toBe(bad.version);
    expect(await reg.rollbackTarget('r')).toBeUndefined();
    // A third version, deployed and then rolled back from, goes back to the good one, not the bad.
    const third = await reg.registerModel('r', { kind: 'logistic-regression', weights: [0.5], bias: 0 }, { holdoutAccuracy: 0.8 });
    await reg.pinModel('r', third.version, { reason: 'deploy' });
    expect((await reg.rollbackTarget('r'))?.version).toBe(good.version);
    // A version restored after its rollback counts as good again.
    await reg.tagVersion('r', bad.version, { 'homeostat.restored_by': 'operator' });
    await reg.pinModel('r', good.version, { reason: 'by hand' });
    expect((await reg.rollbackTarget('r'))?.version).toBe(third.version);
  });
});
