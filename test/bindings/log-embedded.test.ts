import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedLog } from '../../bindings/log';
import { logContract } from './log-contract';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-log-embedded-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

logContract('embedded (SQLite)', {
  open: async () => new EmbeddedLog({ file: path.join(dir, 'log.db') }),
  consumerExtras: { heartbeatMs: 100, sessionTimeoutMs: 2_000, pollMs: 10 },
});

describe('embedded log specifics', () => {
  test('two processes-worth of handles on one file share offsets and never reuse one', async () => {
    const file = path.join(dir, 'shared.db');
    const a = new EmbeddedLog({ file });
    const b = new EmbeddedLog({ file });
    await a.createTopic('shared', { partitions: 1 });
    const offsets: number[] = [];
    for (let i = 0; i < 50; i++) {
      const w = i % 2 === 0 ? a : b;
      offsets.push(...(await w.append('shared', [{ key: 'x', value: String(i) }, { key: 'x', value: `${i}b` }])).map((r) => r.offset));
    }
    expect(offsets).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await a.close();
    await b.close();
  });

  test('a member silent for the session timeout loses its partitions to the others', async () => {
    const file = path.join(dir, 'expire.db');
    const log = new EmbeddedLog({ file });
    await log.createTopic('t', { partitions: 2 });
    // A member that "died": a heartbeat row and ownership of both partitions, never refreshed.
    log.db.prepare('INSERT INTO log_group_members VALUES (?, ?, ?, ?)').run('g', 'dead', JSON.stringify(['t']), Date.now());
    log.db.prepare('INSERT INTO log_group_owners VALUES (?, ?, ?, ?), (?, ?, ?, ?)').run('g', 't', 0, 'dead', 'g', 't', 1, 'dead');
    const c = log.consumer({ groupId: 'g', topics: ['t'], heartbeatMs: 100, sessionTimeoutMs: 800 } as Parameters<EmbeddedLog['consumer']>[0]);
    await c.run(() => undefined);
    expect(c.assignment()).toEqual([]);
    const deadline = Date.now() + 20_000;
    while (c.assignment().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(c.assignment().map((p) => p.partition).sort()).toEqual([0, 1]);
    await log.close();
  });

  test('resetGroup is refused while the group has running members', async () => {
    const log = new EmbeddedLog({ file: path.join(dir, 'refuse.db') });
    await log.createTopic('t', { partitions: 1 });
    const c = log.consumer({ groupId: 'g', topics: ['t'] });
    await c.run(() => undefined);
    await expect(log.resetGroup('g', 't', { to: 'earliest' })).rejects.toMatchObject({ code: 'HS_REFUSED' });
    await c.stop();
    await expect(log.resetGroup('g', 't', { to: 'earliest' })).resolves.toEqual([{ partition: 0, offset: 0 }]);
    await log.close();
  });
});
