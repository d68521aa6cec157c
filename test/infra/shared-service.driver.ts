/**
 * Owns a shared service for test/infra/shared-service.test.ts in a process of its own (as a jest
 * worker would): starts it (a `sleep` as its process), prints the state as one JSON line, and
 * stays alive until its stdin closes.
 * Usage: node -r tsx/cjs shared-service.driver.ts <dir> <name>
 */
import { spawnService } from '../../infra/process';
import { sharedService } from '../../infra/shared-service';

async function main(): Promise<void> {
  const [dir, name] = process.argv.slice(2) as [string, string];
  const state = await sharedService(name, async (own) => {
    const proc = spawnService('sleep', 'sleep', ['600'], { logFile: `${own}/sleep.log` });
    return { state: { pid: proc.pid, startedBy: process.pid }, stop: () => proc.stop(1_000), pids: [proc.pid] };
  }, { dir });
  process.stdout.write(`${JSON.stringify(state)}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
