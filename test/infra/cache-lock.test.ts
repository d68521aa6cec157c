/** ensureX() under concurrent callers: the cache lock lets one process build while the others wait and find the cache. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { withCacheLock } from '../../infra/cache-lock';

const run = promisify(execFile);
const CONTENDER = path.join(__dirname, '../fixtures/infra/lock-contender.ts');

describe('cache lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-lock-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lets exactly one of several processes build; the others wait and find the cache', async () => {
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () => run(process.execPath, ['--require', require.resolve('tsx/cjs'), CONTENDER, dir])),
    );
    expect(outputs.map((o) => o.stdout.trim()).sort()).toEqual(['built', 'cached', 'cached', 'cached']);
    expect(fs.readFileSync(path.join(dir, 'builds.log'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, 'thing.lock'))).toBe(false);
  }, 60_000);

  it('takes over a lock whose owner died, and releases the lock when the build throws', async () => {
    fs.mkdirSync(path.join(dir, 'thing.lock'));
    // A pid that cannot be alive (above the kernel's pid_max).
    fs.writeFileSync(path.join(dir, 'thing.lock', 'owner'), '99999999');
    expect(await withCacheLock(dir, 'thing', async () => 'mine', { intervalMs: 10 })).toBe('mine');
    await expect(withCacheLock(dir, 'thing', async () => Promise.reject(new Error('build failed')))).rejects.toThrow('build failed');
    expect(fs.existsSync(path.join(dir, 'thing.lock'))).toBe(false);
  });
});
