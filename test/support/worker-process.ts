/**
 * Incident workers in their own OS processes, for tests that SIGKILL one mid-activity: start a
 * fixture entry (test/fixtures/workers/*.ts) with a JSON config, wait for its `ready <identity>`
 * line, stop it gracefully (SIGKILL after 10 s). Every process started is listed in `children`
 * so the test's afterAll can kill whatever is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

export async function startWorkerProcess(entry: string, config: { identity: string }, children: ChildProcess[]): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), entry, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (out.includes(`ready ${config.identity}`)) resolve();
    };
    child.stdout?.on('data', check);
    child.once('exit', (code, signal) => reject(new Error(`worker ${config.identity} exited (${code ?? signal}) before it was ready:\n${out}`)));
  });
  return { child, output: () => out, exited };
}

/** SIGTERM (graceful shutdown), then SIGKILL after 10 s; the timer never outlives the call. */
export async function stopWorkerProcess(w: WorkerProcess): Promise<void> {
  w.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([w.exited, new Promise<void>((r) => (timer = setTimeout(r, 10_000)))]);
  clearTimeout(timer);
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
}

/** Kills every listed process still alive (afterAll). */
export function killAll(children: ChildProcess[]): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
