/**
 * Long-running server processes (Temporal dev server, Kafka): spawned in their own process group
 * so that a stop reaches everything they started, with output in a log file whose tail explains a
 * failed start. Every live process is killed when this Node process exits, whatever the reason:
 * a crashed caller must not leave a JVM behind.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { formatDuration } from './step';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Exit code, or the signal name; undefined while running. */
  exitStatus(): string | undefined;
  /** The last lines the process wrote (stdout and stderr interleaved). */
  tail(lines?: number): string;
  /** SIGTERM to the group, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the group at once — a crash, no shutdown of any kind; resolves once it has exited. */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where stdout and stderr go; a fresh file under the OS temp directory when omitted. */
  logFile?: string;
  /** Run as this user and group (a server that refuses to run as root, such as PostgreSQL). */
  uid?: number;
  gid?: number;
}

const live = new Set<{ pid: number; exited: boolean }>();
let exitHookInstalled = false;

function killAllLive(): void {
  for (const child of live) if (!child.exited) killGroup(child.pid, 'SIGKILL');
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: process.kill is.
  process.on('exit', killAllLive);
  // Servers run in their own process group, so a Ctrl-C in the terminal does not reach them.
  // When nobody else handles the signal (a command with its own graceful shutdown does), kill
  // them and die of the same signal, as the process would have without this hook.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      if (process.listenerCount(signal) > 0) return;
      killAllLive();
      process.kill(process.pid, signal);
    });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already; fall back to the process itself in case it left its group.
    try {
      process.kill(pid, signal);
    } catch {
      // Already exited.
    }
  }
}

export function spawnService(name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  installExitHook();
  const logFile =
    options.logFile ?? path.join(os.tmpdir(), `homeostat-${name}-${process.pid}-${Date.now().toString(36)}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  // detached: the child leads a new process group, and its pid is the server itself (no shell in
  // between), so signalling -pid reaches the server and anything it forked.
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  fs.closeSync(fd);
  let status: string | undefined;
  const entry = { pid: child.pid ?? -1, exited: false };
  // Listeners first: a failed spawn (ENOENT) reports through 'error', which must not go unheard.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      status = signal ?? String(code);
      entry.exited = true;
      live.delete(entry);
      resolve();
    });
    child.once('error', (err) => {
      status = `spawn error: ${err.message}`;
      entry.exited = true;
      live.delete(entry);
      resolve();
    });
  });
  if (child.pid === undefined) {
    throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `${name}: could not spawn ${command}`);
  }
  live.add(entry);

  return {
    name,
    pid: child.pid,
    logFile,
    exitStatus: () => status,
    tail: (lines = 30) => tailOf(logFile, lines),
    async stop(graceMs = 10_000): Promise<void> {
      if (entry.exited) return;
      killGroup(entry.pid, 'SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
        killGroup(entry.pid, 'SIGKILL');
        await exited;
      }
      // Reap anything the server forked that outlived it. Only the group: the pid itself is
      // free for reuse by now and must not be signalled.
      try {
        process.kill(-entry.pid, 'SIGKILL');
      } catch {
        // No such group: nothing outlived the server.
      }
    },
    async kill(): Promise<void> {
      if (entry.exited) return;
      killGroup(entry.pid, 'SIGKILL');
      await exited;
    },
  };
}

function tailOf(file: string, lines: number): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trim();
  } catch {
    return '';
  }
}

/**
 * Polls `probe` until it returns true. Fails fast when the process dies, and on timeout, in both
 * cases with the process's last output: that is where the reason is.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<void> {
  const started = performance.now();
  const interval = options.intervalMs ?? 250;
  for (;;) {
    const status = proc.exitStatus();
    if (status !== undefined) {
      throw new HomeostatError(
        'HS_SERVICE_UNAVAILABLE',
        `${options.what} exited (${status}) before it was ready. Last output (${proc.logFile}):\n${proc.tail()}`,
      );
    }
    if (await probe().catch(() => false)) return;
    const elapsed = performance.now() - started;
    if (elapsed > options.timeoutMs) {
      await proc.stop(2_000);
      throw new HomeostatError(
        'HS_SERVICE_UNAVAILABLE',
        `${options.what} was not ready after ${formatDuration(elapsed)}. Last output (${proc.logFile}):\n${proc.tail()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Runs a command to completion (for builds: go install, mvn); rejects with its output on failure. */
export function runToCompletion(
  what: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', (err) =>
      reject(new HomeostatError('HS_PROVISION_FAILED', `${what}: could not run ${command}: ${err.message}`)),
    );
    child.once('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === 0) resolve(output);
      else {
        const last = output.trim().split('\n').slice(-40).join('\n');
        reject(new HomeostatError('HS_PROVISION_FAILED', `${what} failed (${signal ?? `exit ${code}`}):\n${last}`));
      }
    });
  });
}

/** Whether a process with this pid exists (one we may not signal, EPERM, exists too). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
