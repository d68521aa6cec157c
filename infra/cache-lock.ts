/**
 * A lock file in the cache directory, so that several processes provisioning the same thing at
 * once (two jest workers, a test and `homeostat dev`) build it once: the first takes the lock and
 * builds, the others wait and then find the cache. The lock is a directory (mkdir is atomic)
 * holding the owner's pid; a lock whose owner has died is taken over, so a killed build never
 * blocks the next one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { formatDuration, log } from './step';

export interface CacheLockOptions {
  /** Give up after this long (default 60 min: a cold Go build on a loaded 2-core machine is slow). */
  timeoutMs?: number;
  /** Poll interval while waiting (default 500 ms). */
  intervalMs?: number;
}

function ownerAlive(lockDir: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8').trim());
  } catch {
    // The owner has made the directory but not yet written its pid: treat it as alive, unless
    // the directory is old (the owner died between the two steps).
    try {
      return Date.now() - fs.statSync(lockDir).mtimeMs < 10_000;
    } catch {
      return false;
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding `<dir>/<name>.lock`. Waiting callers print one line saying whom they
 * wait for, then a line every 30 s, so a long build elsewhere never looks like a hang.
 */
export async function withCacheLock<T>(dir: string, name: string, fn: () => Promise<T>, options: CacheLockOptions = {}): Promise<T> {
  fs.mkdirSync(dir, { recursive: true });
  const lockDir = path.join(dir, `${name}.lock`);
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 60 * 60_000;
  let lastReport = -Infinity;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'owner'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!ownerAlive(lockDir)) {
      // Rename first: of two processes taking over the same stale lock, only one rename wins.
      const stale = `${lockDir}.stale.${process.pid}`;
      try {
        fs.renameSync(lockDir, stale);
        fs.rmSync(stale, { recursive: true, force: true });
      } catch {
        // Someone else took it over first: go round again.
      }
      continue;
    }
    const waited = performance.now() - started;
    if (waited > timeoutMs) {
      throw new HomeostatError('HS_PROVISION_FAILED', `${lockDir} is still held after ${formatDuration(waited)}; remove it if no provisioning runs.`);
    }
    if (waited - lastReport >= 30_000) {
      lastReport = waited;
      log(`[homeostat] waiting for another process provisioning ${name} (${lockDir}, ${formatDuration(waited)} so far)`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
