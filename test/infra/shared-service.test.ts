/**
 * infra/shared-service.ts with a tiny real service (a `sleep` process): started once however many
 * callers race for it, found by another process through the state file, started again when its
 * owner died, and stopped from a process that does not own it (as global teardown does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive, spawnService } from '../../infra/process';
import { readSharedService, sharedService, stopSharedServices } from '../../infra/shared-service';
import { until } from '../support/until';

const DRIVER = path.join(__dirname, 'shared-service.driver.ts');
type State = { pid: number; startedBy: number };


let dir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-shared-'));
});

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await stopSharedServices(undefined, dir);
});

/** A process of its own owning the service; resolves with the state it printed. */
function owner(name: string): Promise<{ child: ChildProcess; state: State }> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), DRIVER, dir, name], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve({ child, state: JSON.parse(out.split('\n')[0]!) as State });
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => reject(new Error(`driver exited ${code}: ${err}`)));
  });
}

test('callers racing for a service start it once and all get its state', async () => {
  let starts = 0;
  const start = async (own: string): Promise<{ state: State; stop: () => Promise<void>; pids: number[] }> => {
    starts += 1;
    const proc = spawnService('sleep', 'sleep', ['600'], { logFile: path.join(own, 'sleep.log') });
    return { state: { pid: proc.pid, startedBy: process.pid }, stop: () => proc.stop(1_000), pids: [proc.pid] };
  };
  const states = await Promise.all([1, 2, 3].map(() => sharedService('race', start, { dir })));
  expect(starts).toBe(1);
  expect(new Set(states.map((s) => s.pid)).size).toBe(1);
  expect(readSharedService<State>('race', { dir })).toEqual(states[0]);
  // The owner stops it through its own stop; the directory goes with it.
  expect(await stopSharedServices(undefined, dir)).toEqual(['race']);
  await until('the service stopped', async () => (isProcessAlive(states[0]!.pid) ? undefined : true));
  expect(fs.existsSync(dir)).toBe(false);
});

test('another process finds the running service; a dead owner\'s service is started again; teardown stops it from outside', async () => {
  const first = await owner('svc');
  expect(isProcessAlive(first.state.pid)).toBe(true);
  // Found through the state file: no second start.
  const found = await owner('svc');
  expect(found.state).toEqual(first.state);
  // The owner dies (a crashed worker): its exit hook takes the service with it, and the state is no longer trusted.
  first.child.kill('SIGTERM');
  await until('the first service gone', async () => (isProcessAlive(first.state.pid) ? undefined : true));
  expect(readSharedService('svc', { dir })).toBeUndefined();
  const again = await owner('svc');
  expect(again.state.pid).not.toBe(first.state.pid);
  expect(again.state.startedBy).toBe(again.child.pid);
  // Stopped by a process that does not own it, through the recorded process group.
  expect(await stopSharedServices(undefined, dir)).toEqual(['svc']);
  await until('the service stopped', async () => (isProcessAlive(again.state.pid) ? undefined : true));
  expect(fs.existsSync(dir)).toBe(false);
}, 60_000);

test('without a run id or a directory, a shared service is refused with the reason', async () => {
  const saved = process.env.HOMEOSTAT_TEST_RUN_ID;
  delete process.env.HOMEOSTAT_TEST_RUN_ID;
  try {
    await expect(sharedService('x', async () => ({ state: 1, stop: async () => {} }))).rejects.toThrow(/HOMEOSTAT_TEST_RUN_ID is not set/);
  } finally {
    process.env.HOMEOSTAT_TEST_RUN_ID = saved;
  }
});
