import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Connection } from '@temporalio/client';
import { freePort } from '../../infra/ports';
import { killRunStragglers, TEST_ENV } from '../../infra/test-harness';
import { testServerPath } from '../support/services';
import { isProcessAlive } from '../../infra/process';


async function untilConnected(address: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.close();
      return;
    } catch (err) {
      if (attempt > 120) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe('test harness clean-up', () => {
  it('the wrapper execs java (the pid the SDK kills is the JVM), and the sweep kills a server left behind', async () => {
    const runId = crypto.randomUUID();
    const port = await freePort();
    // As the SDK would start it, but then "forgotten": nobody calls teardown.
    const child = spawn(testServerPath(), [String(port)], {
      env: { ...process.env, [TEST_ENV.runId]: runId },
      stdio: 'ignore',
    });
    const pid = child.pid!;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await untilConnected(`127.0.0.1:${port}`);
      expect(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('java');

      // Another run's id finds nothing; this run's id finds exactly the server.
      expect(killRunStragglers(crypto.randomUUID())).toEqual([]);
      expect(killRunStragglers(runId)).toEqual([pid]);
      await exited;
      expect(isProcessAlive(pid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
