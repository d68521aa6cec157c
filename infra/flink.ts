/**
 * Apache Flink as a local session cluster, without Docker. The distribution comes from PyPI:
 * `apache-flink-libraries` carries lib/ (flink-dist with the JobManager, TaskManager, REST server
 * and web UI) and `apache-flink` carries bin/ and conf/; both wheels are fetched with pip, unpacked
 * once into `<cache>/flink-<version>/dist/{bin,conf,lib}`, and the wheels dropped. The Kafka
 * connector comes from Maven Central (infra/maven.ts) into `<cache>/flink-<version>/kafka-connector`
 * and joins the cluster's classpath, so job jars carry only their own classes.
 *
 * The two JVMs are spawned directly (no shell scripts), each in its own process group: the
 * TaskManager can be SIGKILLed alone (a crash) and started again, and stopping the cluster
 * reaches everything. Start-up time is measured until the REST API reports the TaskManager's
 * slots.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { cacheDir } from '../common/paths';
import { withCacheLock } from './cache-lock';
import {
  FLINK_COMMON_JVM_FLAGS,
  FLINK_LOG4J,
  flinkConfigYaml,
  flinkLayout,
  jobManagerJvmFlags,
  taskManagerJvmFlags,
  type FlinkLayout,
} from './flink-config';
import { resolveClasspath } from './maven';
import { freePorts } from './ports';
import { runToCompletion, spawnService, type ManagedProcess } from './process';
import { log, longStep, step } from './step';
import { findOnPath, requireTool } from './toolchain';
import { VERSIONS } from './versions';

export interface FlinkDistribution {
  java: string;
  /** FLINK_HOME: bin/, conf/, lib/. */
  home: string;
  /** lib/*.jar (flink-dist last, as Flink's scripts order them) followed by the connector's jars. */
  classpath: string[];
  /** The Kafka connector's runtime classpath (Maven Central). */
  connectorJars: string[];
  /** `env.java.opts.all` of the distribution's own config: the --add-opens Java 17 needs. */
  javaOpts: string[];
}

export function flinkDir(): string {
  return path.join(cacheDir(), `flink-${VERSIONS.flink}`);
}

/** The files whose presence marks a complete unpack (dist/ is renamed into place last). */
function distComplete(home: string): boolean {
  return ['bin/config.sh', 'conf/config.yaml', `lib/flink-dist-${VERSIONS.flink}.jar`].every((f) => fs.existsSync(path.join(home, f)));
}

/**
 * Fetches what is missing (wheels from PyPI, the connector from Maven Central) and returns the
 * distribution. Idempotent; concurrent callers serialise on a lock in the cache.
 */
export async function ensureFlink(): Promise<FlinkDistribution> {
  const java = requireTool('java');
  const dir = flinkDir();
  const home = path.join(dir, 'dist');
  if (distComplete(home)) log(`[homeostat] Flink ${VERSIONS.flink}: cached in ${home}`);
  else await withCacheLock(cacheDir(), `flink-${VERSIONS.flink}`, async () => (distComplete(home) ? undefined : fetchDistribution(dir, home)));
  const connectorJars = await withCacheLock(cacheDir(), `flink-${VERSIONS.flink}-connector`, () =>
    resolveClasspath(path.join(dir, 'kafka-connector'), `Flink Kafka connector ${VERSIONS.flinkKafkaConnector}`, [
      {
        groupId: 'org.apache.flink',
        artifactId: 'flink-connector-kafka',
        version: VERSIONS.flinkKafkaConnector,
        // flink-dist brings its own SLF4J; a second API jar would only shadow it.
        exclusions: ['org.slf4j:slf4j-api'],
      },
    ]),
  );
  const lib = fs
    .readdirSync(path.join(home, 'lib'))
    .filter((f) => f.endsWith('.jar'))
    .sort((a, b) => Number(a.startsWith('flink-dist')) - Number(b.startsWith('flink-dist')) || a.localeCompare(b))
    .map((f) => path.join(home, 'lib', f));
  return { java, home, classpath: [...lib, ...connectorJars], connectorJars, javaOpts: distJavaOpts(home) };
}

function distJavaOpts(home: string): string[] {
  const text = fs.readFileSync(path.join(home, 'conf', 'config.yaml'), 'utf8');
  const line = text.split('\n').find((l) => /^\s+all:\s*--add-/.test(l));
  return line ? line.replace(/^\s+all:\s*/, '').trim().split(/\s+/) : [];
}

async function fetchDistribution(dir: string, home: string): Promise<void> {
  const python = findOnPath('python3');
  if (!python) {
    throw new HomeostatError('HS_TOOLCHAIN_MISSING', '`python3` (with pip) was not found on PATH; it is needed to fetch Flink from PyPI. To continue: install Python 3.9+ with pip.', { tool: 'python3' });
  }
  fs.mkdirSync(dir, { recursive: true });
  const wheels = path.join(dir, `wheels.${process.pid}.tmp`);
  const unpacked = path.join(dir, `unpacked.${process.pid}.tmp`);
  const staged = path.join(dir, `dist.${process.pid}.tmp`);
  for (const d of [wheels, unpacked, staged]) fs.rmSync(d, { recursive: true, force: true });
  try {
    await longStep(`Flink ${VERSIONS.flink}: pip download apache-flink-libraries + apache-flink (≈ 300 MB)`, () =>
      runToCompletion('pip download Flink', python, [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--disable-pip-version-check',
        '--no-input',
        '-q',
        '-d',
        wheels,
        `apache-flink-libraries==${VERSIONS.flink}`,
        `apache-flink==${VERSIONS.flink}`,
      ]),
    30_000);
    const archives = fs.readdirSync(wheels).map((f) => path.join(wheels, f));
    if (archives.length < 2) throw new HomeostatError('HS_PROVISION_FAILED', `pip downloaded ${archives.length} files for Flink (expected the two wheels) into ${wheels}`);
    await step(`Flink ${VERSIONS.flink}: unpack ${archives.map((a) => path.basename(a)).join(', ')}`, async () => {
      for (const archive of archives) await unpack(python, archive, unpacked);
    });
    const pyflink = findPyflink(unpacked);
    fs.mkdirSync(staged, { recursive: true });
    for (const part of ['bin', 'conf', 'lib']) {
      const from = path.join(pyflink, part);
      if (!fs.existsSync(from)) throw new HomeostatError('HS_PROVISION_FAILED', `the Flink wheels hold no ${part}/ (looked in ${pyflink})`);
      fs.renameSync(from, path.join(staged, part));
    }
    // Zip entries lose their mode: the scripts (the `flink` CLI, sql-client) must run.
    for (const f of fs.readdirSync(path.join(staged, 'bin'))) if (f.endsWith('.sh') || !f.includes('.')) fs.chmodSync(path.join(staged, 'bin', f), 0o755);
    if (!distComplete(staged)) throw new HomeostatError('HS_PROVISION_FAILED', `the unpacked Flink distribution in ${staged} lacks flink-dist-${VERSIONS.flink}.jar or bin/config.sh`);
    fs.rmSync(home, { recursive: true, force: true });
    // Last: a half-finished unpack never looks complete.
    fs.renameSync(staged, home);
  } finally {
    for (const d of [wheels, unpacked, staged]) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** A source distribution is a tarball, a wheel a zip; Python's own modules read both. */
async function unpack(python: string, archive: string, into: string): Promise<void> {
  fs.mkdirSync(into, { recursive: true });
  if (archive.endsWith('.whl') || archive.endsWith('.zip')) {
    await runToCompletion('unzip wheel', python, ['-m', 'zipfile', '-e', archive, into]);
  } else if (/\.tar\.gz$|\.tgz$/.test(archive)) {
    await runToCompletion('untar sdist', python, ['-c', 'import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])', archive, into]);
  } else {
    throw new HomeostatError('HS_PROVISION_FAILED', `unexpected Flink download ${archive}`);
  }
}

/** The `pyflink` package directory holding bin/, conf/ and lib/ (an sdist nests it one level deeper). */
function findPyflink(root: string): string {
  const queue = [root];
  while (queue.length > 0) {
    const d = queue.shift()!;
    if (path.basename(d) === 'pyflink' && fs.existsSync(path.join(d, 'lib'))) {
      // The other wheel's bin/ and conf/ land in a sibling pyflink/ when both are wheels (same dir).
      return d;
    }
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) queue.push(path.join(d, e.name));
  }
  throw new HomeostatError('HS_PROVISION_FAILED', `no pyflink/lib in the unpacked Flink wheels (${root})`);
}

export interface FlinkOptions {
  /** Configuration, checkpoints, savepoints and logs; a temp dir (removed on stop) when omitted. */
  stateDir?: string;
  restPort?: number;
  /** Task slots of the one TaskManager (default 4). */
  slots?: number;
  /** Restarts of a failed job before it is FAILED (default 3, 1 s apart). */
  restartAttempts?: number;
  restartDelayMs?: number;
  /** Completed checkpoints kept per job (default 5). */
  retainedCheckpoints?: number;
  readyTimeoutMs?: number;
}

export interface FlinkHandle extends FlinkLayout {
  restUrl: string;
  restPort: number;
  stateDir: string;
  slots: number;
  /** From spawning the JobManager until the REST API reported the TaskManager's slots. */
  startupMs: number;
  jobManager: ManagedProcess;
  taskManager(): ManagedProcess;
  /** SIGKILL to the TaskManager's process group: a crash, no shutdown. */
  killTaskManager(): Promise<void>;
  /** Starts a TaskManager again (after a kill) and waits until its slots are registered. */
  startTaskManager(): Promise<void>;
  stop(): Promise<void>;
}

const overviewSchemaKeys = ['taskmanagers', 'slots-total'] as const;

/** GET /overview: how many TaskManagers and slots the JobManager knows. */
export async function flinkOverview(restUrl: string): Promise<{ taskmanagers: number; slotsTotal: number; version: string }> {
  const res = await fetch(`${restUrl}/overview`, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new Error(`GET /overview: HTTP ${res.status}`);
  const body = (await res.json()) as Record<string, unknown>;
  for (const k of overviewSchemaKeys) if (typeof body[k] !== 'number') throw new Error(`GET /overview: no ${k}`);
  return { taskmanagers: body.taskmanagers as number, slotsTotal: body['slots-total'] as number, version: String(body['flink-version'] ?? '') };
}

export async function startFlink(options: FlinkOptions = {}): Promise<FlinkHandle> {
  const dist = await ensureFlink();
  const ownsDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-flink-'));
  const layout = flinkLayout(stateDir);
  for (const d of Object.values(layout)) fs.mkdirSync(d, { recursive: true });
  const [freeRest, rpcPort, blobPort] = await freePorts(3);
  const restPort = options.restPort ?? freeRest;
  const slots = options.slots ?? 4;
  fs.writeFileSync(
    path.join(layout.confDir, 'config.yaml'),
    flinkConfigYaml({
      stateDir,
      restPort,
      rpcPort,
      blobPort,
      slots,
      restartAttempts: options.restartAttempts ?? 3,
      restartDelayMs: options.restartDelayMs ?? 1_000,
      retainedCheckpoints: options.retainedCheckpoints ?? 5,
    }),
  );
  const log4j = path.join(layout.confDir, 'log4j-console.properties');
  fs.writeFileSync(log4j, FLINK_LOG4J);
  const restUrl = `http://127.0.0.1:${restPort}`;
  const jvm = (flags: string[], main: string, logName: string): string[] => [
    ...FLINK_COMMON_JVM_FLAGS,
    ...dist.javaOpts,
    ...flags,
    `-Dlog.file=${path.join(layout.logDir, `${logName}.log`)}`,
    `-Dlog4j.configurationFile=file:${log4j}`,
    '-cp',
    dist.classpath.join(path.delimiter),
    main,
    '--configDir',
    layout.confDir,
  ];
  const env = { ...process.env, FLINK_HOME: dist.home, FLINK_CONF_DIR: layout.confDir, FLINK_LIB_DIR: path.join(dist.home, 'lib') };
  const started = performance.now();
  const jobManager = spawnService('flink-jobmanager', dist.java, jvm(jobManagerJvmFlags(), 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint', 'jobmanager'), {
    logFile: path.join(layout.logDir, 'jobmanager.out'),
    cwd: stateDir,
    env,
  });
  let tmCount = 0;
  const spawnTaskManager = (): ManagedProcess =>
    spawnService('flink-taskmanager', dist.java, jvm(taskManagerJvmFlags(), 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner', 'taskmanager'), {
      logFile: path.join(layout.logDir, `taskmanager-${++tmCount}.out`),
      cwd: stateDir,
      env,
    });
  let taskManager = spawnTaskManager();
  const stop = async (): Promise<void> => {
    await taskManager.stop(15_000);
    await jobManager.stop(15_000);
    if (ownsDir) fs.rmSync(stateDir, { recursive: true, force: true });
  };
  const waitForSlots = (tm: ManagedProcess, timeoutMs: number): Promise<void> => waitForCluster(restUrl, slots, [jobManager, tm], timeoutMs);
  try {
    await step(`Flink ${VERSIONS.flink}: start JobManager + TaskManager (${slots} slots), REST on ${restUrl}`, () =>
      waitForSlots(taskManager, options.readyTimeoutMs ?? 120_000),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const startupMs = performance.now() - started;
  log(`[homeostat] Flink: cluster up in ${(startupMs / 1000).toFixed(1)} s (state in ${stateDir})`);
  return {
    ...layout,
    restUrl,
    restPort,
    stateDir,
    slots,
    startupMs,
    jobManager,
    taskManager: () => taskManager,
    async killTaskManager() {
      await taskManager.kill();
    },
    async startTaskManager() {
      if (taskManager.exitStatus() === undefined) return;
      taskManager = spawnTaskManager();
      await step('Flink: start a TaskManager again', () => waitForSlots(taskManager, options.readyTimeoutMs ?? 120_000));
    },
    stop,
  };
}

/**
 * Polls GET /overview until the TaskManager's slots are registered. Fails at once, with the last
 * output of the process, when either JVM exits; on timeout both processes' output is shown.
 */
async function waitForCluster(restUrl: string, slots: number, procs: ManagedProcess[], timeoutMs: number): Promise<void> {
  const started = performance.now();
  for (;;) {
    for (const p of procs) {
      const status = p.exitStatus();
      if (status !== undefined) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `Flink ${p.name} exited (${status}) before the cluster was ready. Last output (${p.logFile}):\n${p.tail()}`);
    }
    const o = await flinkOverview(restUrl).catch(() => undefined);
    if (o && o.taskmanagers >= 1 && o.slotsTotal >= slots) return;
    if (performance.now() - started > timeoutMs) {
      const tails = procs.map((p) => `${p.name} (${p.logFile}):\n${p.tail(15)}`).join('\n');
      throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `Flink cluster on ${restUrl} had no ${slots} slots after ${Math.round(timeoutMs / 1000)} s. Last output of ${tails}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
