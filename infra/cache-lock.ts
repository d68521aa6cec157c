/**
 * A lock file in the cache directory, so that two processes provisioning the same thing at once
 * (two test workers, a demo and a test run) do not install it twice or read half of it: the
 * second waits, then finds the cache. The lock is a file created exclusively (`wx`) holding the
 * owner's pid; a lock whose owner is gone (killed mid-install) is taken over, not waited on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { formatDuration, log } from './step';

export interface CacheLockOptions {
  /** Give up after this long (default 20 min: a cold pip install on a loaded machine is slow). */
  timeoutMs?: number;
  /** How often the lock is tried again. */
  pollMs?: number;
}

function ownerAlive(file: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return true; // Being written right now: its owner is alive.
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryTake(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'wx');
    fs.writeSync(fd, `${process.pid}\n`);
    fs.closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  }
}

/**
 * Runs `fn` holding `<dir>/<name>.lock`. Callers re-check their cache inside `fn`: whoever held
 * the lock before may have filled it.
 */
export async function withCacheLock<T>(dir: string, name: string, fn: () => Promise<T>, options: CacheLockOptions = {}): Promise<T> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.lock`);
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  let announced = false;
  while (!tryTake(file)) {
    if (!ownerAlive(file)) {
      // The owner died holding it: remove and race for it again (only one `wx` wins).
      fs.rmSync(file, { force: true });
      continue;
    }
    if (!announced) {
      log(`[homeostat] ${name}: another process is provisioning it (lock ${file}); waiting`);
      announced = true;
    }
    if (performance.now() - started > timeoutMs) {
      throw new HomeostatError('HS_PROVISION_FAILED', `${name}: lock ${file} still held after ${formatDuration(timeoutMs)}; remove it if no provisioning runs.`);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
  if (announced) log(`[homeostat] ${name}: lock acquired after ${formatDuration(performance.now() - started)}`);
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
