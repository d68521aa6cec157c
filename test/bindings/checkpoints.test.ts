import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileCheckpointStore } from '../../bindings/checkpoints';
import { isHomeostatError } from '../../common/errors';

describe('FileCheckpointStore', () => {
  let root: string;
  let store: FileCheckpointStore;
  const offsets = (n: number): { topic: string; partition: number; offset: number }[] => [{ topic: 'events', partition: 0, offset: n }];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-ckpt-'));
    store = new FileCheckpointStore(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('saves versioned checkpoints and reads them back, newest first', async () => {
    const a = await store.save('enrich', offsets(10), { keys: { k1: 1 } });
    const b = await store.save('enrich', offsets(20), { keys: { k1: 2 } });
    expect(b.seq).toBe(a.seq + 1);
    expect((await store.list('enrich')).map((m) => m.id)).toEqual([b.id, a.id]);
    const latest = await store.latest<{ keys: Record<string, number> }>('enrich');
    expect(latest?.offsets).toEqual(offsets(20));
    expect(latest?.state.keys.k1).toBe(2);
    expect(await store.verify('enrich', a.id)).toEqual({ valid: true });
  });

  it('detects a corrupted checkpoint by its checksum, and latestValid skips it', async () => {
    const a = await store.save('enrich', offsets(10), { keys: {} });
    const b = await store.save('enrich', offsets(20), { keys: {} });
    await store.corrupt('enrich', b.id);
    const v = await store.verify('enrich', b.id);
    expect(v.valid).toBe(false);
    expect(v.valid === false && v.reason).toMatch(/checksum mismatch/);
    const err = await store.latest('enrich').then(() => undefined, (e: unknown) => e);
    expect(isHomeostatError(err) && err.code).toBe('HS_INTEGRITY');
    const { checkpoint, skipped } = await store.latestValid('enrich');
    expect(checkpoint?.meta.id).toBe(a.id);
    expect(skipped.map((s) => s.id)).toEqual([b.id]);
  });

  it('treats a truncated file and a garbage header as corrupt', async () => {
    const a = await store.save('enrich', offsets(1), { keys: {} });
    const b = await store.save('enrich', offsets(2), { keys: { big: 'x'.repeat(200) } });
    const c = await store.save('enrich', offsets(3), { keys: {} });
    fs.truncateSync(b.file, fs.statSync(b.file).size - 50);
    fs.writeFileSync(c.file, 'not a header\n{}');
    expect((await store.verify('enrich', b.id)).valid).toBe(false);
    expect((await store.verify('enrich', c.id)).valid).toBe(false);
    const { checkpoint, skipped } = await store.latestValid('enrich');
    expect(checkpoint?.meta.id).toBe(a.id);
    expect(skipped).toHaveLength(2);
  });

  it('moves corrupt checkpoints aside idempotently and prunes old ones', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await store.save('enrich', offsets(i), { i })).id);
    await store.corrupt('enrich', ids[4]);
    expect(await store.markCorrupt('enrich', ids[4], 'test')).toBe(true);
    expect(await store.markCorrupt('enrich', ids[4], 'test')).toBe(false);
    expect(fs.readdirSync(path.join(root, 'enrich', 'corrupt')).filter((f) => f.endsWith('.ckpt'))).toHaveLength(1);
    expect((await store.latest('enrich'))?.meta.id).toBe(ids[3]);
    expect(await store.prune('enrich', 2)).toBe(2);
    expect((await store.list('enrich')).map((m) => m.id)).toEqual([ids[3], ids[2]]);
  });

  it('ignores temp files left by a crash mid-write and rejects unsafe stream names', async () => {
    const a = await store.save('enrich', offsets(1), {});
    fs.writeFileSync(path.join(root, 'enrich', `${path.basename(a.file)}.tmp-999`), 'half');
    expect((await store.list('enrich')).map((m) => m.id)).toEqual([a.id]);
    await expect(store.save('../evil', [], {})).rejects.toThrow(/only letters/);
  });
});
