/**
 * One instance of an expensive service (a Kubernetes control plane, a Flink cluster) per test
 * run, shared by every test file in every jest worker, instead of one per file.
 *
 *   const cluster = await sharedService('kubernetes', async (dir) => {
 *     const c = await startKubeCluster({ dir });
 *     return { state: { kubeconfig: c.kubeconfig }, stop: c.stop, pids: c.pids };
 *   }, { schema: z.object({ kubeconfig: z.string() }) });
 *
 * The first caller takes a lock file in the run's directory (`sharedRunDir()`, keyed by
 * HOMEOSTAT_TEST_RUN_ID), starts the service with its own directory inside it, and writes a state
 * file: the caller's `state` (plain JSON: paths, URLs, ports), the owner's pid and the service's
 * process-group leaders. Every later caller — the same file, another file, another worker — waits
 * for the lock, then reads the state. The service stays up for the rest of the run: nobody stops
 * it from a test file. Global teardown (infra/test-harness.ts → stopSuiteServices) calls
 * `stopSharedServices(runId)`: SIGTERM to each recorded process group, SIGKILL after a grace, the
 * run's directory removed; the straggler sweep then catches anything else the run started.
 *
 * Why pids and not only the `stop` closure: the process that started the service is a jest worker,
 * and jest ends its workers before global teardown runs in the parent process. The owner's
 * process-exit hook (infra/process.ts) kills what it spawned when the worker exits; the recorded
 * groups let teardown stop it gracefully from elsewhere when it is still running (in-band runs).
 * `stop` is used when the state cannot be published, and by `releaseOwnedSharedServices()` for a
 * process that owns services outside a jest run (a CLI that keeps a service up until Ctrl-C).
 *
 * A state whose owner or recorded processes have died (a worker that crashed) is not trusted: the
 * next caller starts the service again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { HomeostatError } from '../common/errors';
import { withCacheLock } from './cache-lock';
import { log } from './step';
import { isProcessAlive } from './process';

const RUN_ID_ENV = 'HOMEOSTAT_TEST_RUN_ID';

export interface StartedSharedService<T> {
  /** What later callers get: plain JSON (it is written to the state file). */
  state: T;
  /** Stops the service; called in the owning process only (see the module comment). */
  stop: () => Promise<void>;
  /** Process-group leaders of the service (spawned detached), for a stop from another process. */
  pids?: number[];
}

export interface SharedServiceOptions<T> {
  /** Validates the state read back from the file (a boundary: another process wrote it). */
  schema?: z.ZodType<T>;
  /** Where state files, locks and service directories live; default `sharedRunDir()`. */
  dir?: string;
  /** How long to wait for another process starting the service (default 60 min: a cold build). */
  lockTimeoutMs?: number;
}

const StateFile = z.object({
  name: z.string(),
  owner: z.number().int().positive(),
  pids: z.array(z.number().int().positive()),
  startedAt: z.string(),
  state: z.unknown(),
});
type StateFile = z.infer<typeof StateFile>;

/** The run's directory for shared services: one per HOMEOSTAT_TEST_RUN_ID, under the OS temp dir. */
export function sharedRunDir(runId: string | undefined = process.env[RUN_ID_ENV]): string {
  if (!runId) {
    throw new HomeostatError(
      'HS_SERVICE_UNAVAILABLE',
      `${RUN_ID_ENV} is not set: shared services belong to a test run; run the tests through jest with test/support/global-setup.ts (jest.config.js does), or pass options.dir.`,
    );
  }
  if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new HomeostatError('HS_INVALID_INPUT', `${RUN_ID_ENV} must be a plain name, got ${JSON.stringify(runId)}`);
  return path.join(os.tmpdir(), `homeostat-run-${runId}`);
}


function readStateFile(file: string): StateFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = StateFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new HomeostatError('HS_INTEGRITY', `${file} is not a shared-service state file: ${parsed.error.message}`);
  return parsed.data;
}

function usable(file: StateFile): boolean {
  return isProcessAlive(file.owner) && file.pids.every(isProcessAlive);
}

function parseState<T>(file: StateFile, path_: string, schema: z.ZodType<T> | undefined): T {
  if (!schema) return file.state as T;
  const parsed = schema.safeParse(file.state);
  if (!parsed.success) throw new HomeostatError('HS_INTEGRITY', `${path_}: the state of ${file.name} does not match its schema: ${parsed.error.message}`);
  return parsed.data;
}

/** Services this process started and still owns, by state file. */
const owned = new Map<string, StartedSharedService<unknown>>();

/**
 * The state of the run's one `name` service, starting it first if no live one exists. `start`
 * gets a directory of its own inside the run's directory (removed by teardown). A failed start
 * throws (the test fails loudly) and leaves no state behind, so the next caller tries again.
 */
export async function sharedService<T>(name: string, start: (dir: string) => Promise<StartedSharedService<T>>, options: SharedServiceOptions<T> = {}): Promise<T> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new HomeostatError('HS_INVALID_INPUT', `a shared service's name must be lower-case letters, digits and dashes, got ${JSON.stringify(name)}`);
  const base = options.dir ?? sharedRunDir();
  const file = path.join(base, `${name}.json`);
  const ready = readStateFile(file);
  if (ready && usable(ready)) return parseState(ready, file, options.schema);
  return withCacheLock(
    base,
    name,
    async () => {
      // Whoever held the lock before us may have started it.
      const current = readStateFile(file);
      if (current && usable(current)) return parseState(current, file, options.schema);
      if (current) {
        log(`[homeostat] shared ${name}: its owner (pid ${current.owner}) or one of its processes is gone; starting it again`);
        await stopRecorded(current);
        fs.rmSync(file, { force: true });
      }
      const dir = path.join(base, name);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      const started = await start(dir);
      try {
        const record: StateFile = { name, owner: process.pid, pids: started.pids ?? [], startedAt: new Date().toISOString(), state: started.state };
        // Written whole, then renamed: a reader never sees half a file.
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(record, null, 2));
        fs.renameSync(tmp, file);
        owned.set(file, started as StartedSharedService<unknown>);
        return parseState(record, file, options.schema);
      } catch (err) {
        await started.stop();
        throw err;
      }
    },
    options.lockTimeoutMs !== undefined ? { timeoutMs: options.lockTimeoutMs } : {},
  );
}

/** The recorded state of a running shared service, or undefined when none is up (no start). */
export function readSharedService<T>(name: string, options: Pick<SharedServiceOptions<T>, 'schema' | 'dir'> = {}): T | undefined {
  const file = path.join(options.dir ?? sharedRunDir(), `${name}.json`);
  const current = readStateFile(file);
  return current && usable(current) ? parseState(current, file, options.schema) : undefined;
}

async function stopRecorded(record: StateFile, graceMs = 5_000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // The group is gone.
    }
  };
  for (const pid of record.pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (record.pids.some(isProcessAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const pid of record.pids) signal(pid, 'SIGKILL');
}

/**
 * Stops every shared service recorded in the directory (default: the run's) and removes it.
 * Services this process owns are stopped through their own `stop`; the others through their
 * recorded process groups. Returns the names it stopped.
 */
export async function stopSharedServices(runId?: string, dir: string = sharedRunDir(runId)): Promise<string[]> {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const stopped: string[] = [];
  for (const entry of entries.filter((e) => e.endsWith('.json'))) {
    const file = path.join(dir, entry);
    let record: StateFile | undefined;
    try {
      record = readStateFile(file);
    } catch (err) {
      log(`[homeostat] ${(err as Error).message}`);
    }
    if (!record) continue;
    const mine = owned.get(file);
    owned.delete(file);
    if (mine) await mine.stop();
    else await stopRecorded(record);
    stopped.push(record.name);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return stopped;
}

/** Stops the services this process owns (through their `stop`) and forgets their state files. */
export async function releaseOwnedSharedServices(): Promise<void> {
  for (const [file, service] of [...owned]) {
    owned.delete(file);
    fs.rmSync(file, { force: true });
    await service.stop();
  }
}
