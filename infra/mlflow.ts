/**
 * MLflow's tracking server and model registry, from PyPI into a virtual environment cached by
 * version (`<cache>/mlflow-<version>/venv`). The server runs on a SQLite backend with proxied
 * artifacts (clients upload and download through the server's REST API, so nothing but HTTP is
 * shared), one worker, in its own process group: MLflow starts a server process that forks
 * workers, and stopping only the first would leave them behind. MLFLOW_TRACKING_URI points at an
 * existing server instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { cacheDir } from '../common/paths';
import { withCacheLock } from './cache-lock';
import { freePort } from './ports';
import { runToCompletion, spawnService, waitUntilReady } from './process';
import { formatDuration, log, step } from './step';
import { findOnPath } from './toolchain';
import { VERSIONS } from './versions';

export interface MlflowInstallation {
  dir: string;
  python: string;
  mlflow: string;
  version: string;
}

export function mlflowDir(): string {
  return path.join(cacheDir(), `mlflow-${VERSIONS.mlflow}`);
}

const STAMP = 'installed.stamp';

function installed(dir: string): MlflowInstallation | undefined {
  const mlflow = path.join(dir, 'venv', 'bin', 'mlflow');
  const python = path.join(dir, 'venv', 'bin', 'python');
  try {
    if (fs.readFileSync(path.join(dir, STAMP), 'utf8').trim() !== VERSIONS.mlflow) return undefined;
    fs.accessSync(mlflow, fs.constants.X_OK);
    return { dir, python, mlflow, version: VERSIONS.mlflow };
  } catch {
    return undefined;
  }
}

/** Prints a line every `everyMs` while `work` runs: a cold pip install takes minutes. */
async function withHeartbeat<T>(what: string, everyMs: number, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const timer = setInterval(() => log(`[homeostat] ${what}: still running (${formatDuration(performance.now() - started)})`), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Creates the virtual environment and installs the pinned MLflow once; later calls find it. */
export async function ensureMlflow(): Promise<MlflowInstallation> {
  const dir = mlflowDir();
  const cached = installed(dir);
  if (cached) {
    log(`[homeostat] MLflow ${VERSIONS.mlflow}: cached in ${dir}`);
    return cached;
  }
  return withCacheLock(cacheDir(), `mlflow-${VERSIONS.mlflow}`, async () => {
    const again = installed(dir);
    if (again) return again;
    const python = findOnPath('python3');
    if (!python) {
      throw new HomeostatError('HS_TOOLCHAIN_MISSING', '`python3` was not found on PATH; it is needed to install MLflow. To continue: install Python 3.10+, or set MLFLOW_TRACKING_URI to a running MLflow server.', { tool: 'python3' });
    }
    // A half-built environment from an interrupted install is rebuilt from scratch.
    fs.rmSync(path.join(dir, 'venv'), { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    await step(`MLflow ${VERSIONS.mlflow}: create a virtual environment`, () => runToCompletion('python3 -m venv', python, ['-m', 'venv', path.join(dir, 'venv')]));
    const pip = path.join(dir, 'venv', 'bin', 'pip');
    await step(`MLflow ${VERSIONS.mlflow}: pip install mlflow==${VERSIONS.mlflow} (a cold install takes minutes)`, () =>
      withHeartbeat('pip install mlflow', 30_000, () =>
        runToCompletion('pip install mlflow', pip, ['install', '--disable-pip-version-check', '--no-input', '-q', `mlflow==${VERSIONS.mlflow}`]),
      ),
    );
    // Written last: an interrupted install never looks complete.
    fs.writeFileSync(path.join(dir, STAMP), `${VERSIONS.mlflow}\n`);
    const done = installed(dir);
    if (!done) throw new HomeostatError('HS_PROVISION_FAILED', `pip finished but ${dir}/venv/bin/mlflow is missing.`);
    return done;
  });
}

export interface MlflowOptions {
  /** Backend database and artifacts live here; a temp dir (removed on stop) when omitted. */
  dir?: string;
  port?: number;
  readyTimeoutMs?: number;
}

export interface MlflowHandle {
  /** Tracking URI, http://127.0.0.1:<port>. */
  url: string;
  port: number;
  pid: number;
  dir: string;
  logFile: string;
  startupMs: number;
  stop(): Promise<void>;
}

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
  return res.ok;
}

export async function startMlflow(options: MlflowOptions = {}): Promise<MlflowHandle> {
  const install = await ensureMlflow();
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-mlflow-'));
  fs.mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = [
    'server',
    '--backend-store-uri',
    `sqlite:///${path.join(dir, 'mlflow.db')}`,
    // Proxied artifacts: clients PUT and GET them through the server's REST API.
    '--default-artifact-root',
    'mlflow-artifacts:/',
    '--artifacts-destination',
    path.join(dir, 'artifacts'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    '1',
  ];
  const started = performance.now();
  const proc = spawnService('mlflow', install.mlflow, args, {
    logFile: path.join(dir, 'mlflow.log'),
    cwd: dir,
    env: {
      ...process.env,
      // No telemetry from a server whose only network is loopback.
      MLFLOW_DISABLE_TELEMETRY: 'true',
      DO_NOT_TRACK: 'true',
      // The job runner (GenAI evaluation jobs) forks seven Huey consumers: two cores' worth of
      // processes for a feature the model registry does not use.
      MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      PYTHONUNBUFFERED: '1',
    },
  });
  const stop = async (): Promise<void> => {
    // The whole group: the server's workers go with it.
    await proc.stop(10_000);
    if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await step(`MLflow ${install.version}: start the tracking server on ${url}`, () =>
      waitUntilReady(proc, () => healthy(url), { timeoutMs: options.readyTimeoutMs ?? 120_000, intervalMs: 250, what: `MLflow server on ${url}` }),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, pid: proc.pid, dir, logFile: proc.logFile, startupMs: performance.now() - started, stop };
}
