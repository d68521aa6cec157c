/**
 * The cache lock serialises provisioning across processes: two processes racing for one lock
 * never hold it at once, and a lock left by a dead process is taken over instead of waited on.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withCacheLock } from '../../infra/cache-lock';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-lock-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A child process that holds the lock for `holdMs` and appends its start and end to `out`. */
function holder(name: string, holdMs: number, out: string): Promise<number | null> {
  const script = `
    const { withCacheLock } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'infra', 'cache-lock.ts'))});
    const fs = require('node:fs');
    withCacheLock(${JSON.stringify(dir)}, 'thing', async () => {
      fs.appendFileSync(${JSON.stringify(out)}, 'start ${name}\\n');
      await new Promise((r) => setTimeout(r, ${holdMs}));
      fs.appendFileSync(${JSON.stringify(out)}, 'end ${name}\\n');
    }, { pollMs: 50 }).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test('two processes racing for one lock hold it one after the other', async () => {
  const out = path.join(dir, 'order.txt');
  const codes = await Promise.all([holder('a', 400, out), holder('b', 400, out)]);
  expect(codes).toEqual([0, 0]);
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(4);
  // Whoever went first finished before the other started.
  expect(lines[1]).toBe(lines[0]!.replace('start', 'end'));
  expect(fs.existsSync(path.join(dir, 'thing.lock'))).toBe(false);
});

test('a lock whose owner died is taken over', async () => {
  fs.writeFileSync(path.join(dir, 'stale.lock'), '999999999\n');
  let ran = false;
  await withCacheLock(dir, 'stale', async () => {
    ran = true;
  });
  expect(ran).toBe(true);
  expect(fs.existsSync(path.join(dir, 'stale.lock'))).toBe(false);
});
