/**
 * A local PostgreSQL server from Debian's packages (`postgresql-<major>`, installed with apt when
 * missing and we are root). initdb and the server refuse to run as root, so as root they run as
 * the unprivileged `postgres` user the package creates. Every cluster listens on 127.0.0.1 only,
 * on a free port, with password (SCRAM) authentication for a generated superuser password: no
 * `trust` line, so another local user cannot walk in.
 *
 * HOMEOSTAT_POSTGRES_URL names an existing server instead (`connectOrStartPostgres`).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { HomeostatError } from '../common/errors';
import { cacheDir } from '../common/paths';
import { redactUrl } from '../common/redact-url';
import { withCacheLock } from './cache-lock';
import { freePort } from './ports';
import { runToCompletion, spawnService, waitUntilReady } from './process';
import { log, step } from './step';
import { VERSIONS } from './versions';

export const POSTGRES_URL_ENV = 'HOMEOSTAT_POSTGRES_URL';

export interface PostgresInstallation {
  binDir: string;
  /** The OS user the server runs as; undefined when we are not root (it runs as us). */
  runAs: { user: string; uid: number; gid: number } | undefined;
}

export interface PostgresOptions {
  /** Cluster directory; kept across starts. A fresh one, deleted on stop, when omitted. */
  dataDir?: string;
  /** A free one when omitted. */
  port?: number;
  /** Database to create (if missing) and connect to; default `homeostat`. */
  database?: string;
  /** Fast but not crash-safe (fsync off): right for throw-away test clusters. Default: true without dataDir. */
  ephemeral?: boolean;
  maxConnections?: number;
  logFile?: string;
  readyTimeoutMs?: number;
}

export interface PostgresHandle {
  /** Superuser URL of the database. */
  url: string;
  /** The same for the `postgres` maintenance database (to create more databases). */
  adminUrl: string;
  port: number;
  pid: number | undefined;
  dataDir: string | undefined;
  logFile: string | undefined;
  /** True when this process started the server. */
  started: boolean;
  stop(): Promise<void>;
}

const SUPERUSER = 'homeostat';
const CREDENTIALS_FILE = 'homeostat-credentials.json';

export function postgresBinDir(): string {
  return `/usr/lib/postgresql/${VERSIONS.postgres}/bin`;
}

function readPasswd(user: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid, gid] = line.split(':');
      if (name === user && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // No /etc/passwd: not a system we provision on.
  }
  return undefined;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** The server's binaries, installing `postgresql-<major>` with apt when they are missing (root only). */
export async function ensurePostgres(): Promise<PostgresInstallation> {
  const binDir = postgresBinDir();
  const present = (): boolean => fs.existsSync(path.join(binDir, 'postgres')) && fs.existsSync(path.join(binDir, 'initdb'));
  if (!present()) {
    if (!isRoot()) {
      throw new HomeostatError(
        'HS_TOOLCHAIN_MISSING',
        `PostgreSQL ${VERSIONS.postgres} is not installed (${binDir}); install the Debian package postgresql-${VERSIONS.postgres}, or set ${POSTGRES_URL_ENV} to a running server.`,
      );
    }
    await withCacheLock(cacheDir(), `postgresql-${VERSIONS.postgres}-apt`, async () => {
      if (present()) return;
      await step(`PostgreSQL ${VERSIONS.postgres}: apt-get install postgresql-${VERSIONS.postgres}`, async () => {
        const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
        const install = (): Promise<string> =>
          runToCompletion('apt-get install', 'nice', ['-n', '15', 'apt-get', 'install', '-y', '--no-install-recommends', `postgresql-${VERSIONS.postgres}`], { env });
        try {
          await install();
        } catch {
          // A fresh machine has no package lists yet.
          await runToCompletion('apt-get update', 'nice', ['-n', '15', 'apt-get', 'update'], { env });
          await install();
        }
      });
    });
    if (!present()) throw new HomeostatError('HS_PROVISION_FAILED', `apt-get installed postgresql-${VERSIONS.postgres} but ${binDir}/postgres is missing.`);
  }
  if (!isRoot()) return { binDir, runAs: undefined };
  const user = readPasswd('postgres') ? 'postgres' : 'homeostat-postgres';
  if (!readPasswd(user)) {
    await runToCompletion('useradd', 'useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
  }
  const ids = readPasswd(user);
  if (!ids) throw new HomeostatError('HS_PROVISION_FAILED', `could not find or create the OS user ${user} to run PostgreSQL as.`);
  return { binDir, runAs: { user, ...ids } };
}

/** Can `ids` reach (search) `dir`? Root's 0700 home is the usual reason it cannot. */
function traversable(dir: string, ids: { uid: number; gid: number }): boolean {
  let current = path.resolve(dir);
  for (;;) {
    // A directory that does not exist yet will be created by us, with modes we choose.
    const st = fs.statSync(current, { throwIfNoEntry: false });
    if (st) {
      const ok = (st.uid === ids.uid && st.mode & 0o100) || (st.gid === ids.gid && st.mode & 0o010) || st.mode & 0o001;
      if (!ok) return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/**
 * Where clusters live: `<cache>/postgres-<major>/`, unless the server's user cannot reach the
 * cache (root's home is 0700), then `/var/tmp/homeostat-postgres-<major>/`.
 */
export function postgresDataRoot(runAs: PostgresInstallation['runAs']): string {
  const inCache = path.join(cacheDir(), `postgres-${VERSIONS.postgres}`);
  if (!runAs || traversable(inCache, runAs)) return inCache;
  return path.join('/var/tmp', `homeostat-postgres-${VERSIONS.postgres}`);
}

function mkdirOwned(dir: string, runAs: PostgresInstallation['runAs'], mode = 0o700): void {
  fs.mkdirSync(dir, { recursive: true, mode });
  if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
  fs.chmodSync(dir, mode);
}

function urlFor(password: string, port: number, database: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

async function initCluster(inst: PostgresInstallation, dataDir: string): Promise<string> {
  const password = crypto.randomBytes(18).toString('base64url');
  mkdirOwned(dataDir, inst.runAs);
  // Beside the data directory: initdb wants it empty.
  const pwfile = `${dataDir}.initdb-password`;
  fs.writeFileSync(pwfile, password, { mode: 0o600 });
  if (inst.runAs) fs.chownSync(pwfile, inst.runAs.uid, inst.runAs.gid);
  try {
    await step(`PostgreSQL: initdb ${dataDir}`, () =>
      runToCompletion(
        'initdb',
        path.join(inst.binDir, 'initdb'),
        ['-D', dataDir, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth-local=scram-sha-256', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'],
        { ...(inst.runAs ? { uid: inst.runAs.uid, gid: inst.runAs.gid } : {}), cwd: '/', env: { ...process.env, LC_ALL: 'C' } },
      ),
    );
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  // Root reads it back on the next start of a kept cluster; nobody else can.
  const creds = path.join(dataDir, CREDENTIALS_FILE);
  fs.writeFileSync(creds, JSON.stringify({ user: SUPERUSER, password }), { mode: 0o600 });
  return password;
}

function readPassword(dataDir: string): string {
  const parsed = JSON.parse(fs.readFileSync(path.join(dataDir, CREDENTIALS_FILE), 'utf8')) as { password?: unknown };
  if (typeof parsed.password !== 'string') throw new HomeostatError('HS_PROVISION_FAILED', `${dataDir}/${CREDENTIALS_FILE} has no password.`);
  return parsed.password;
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates `database` unless it exists (concurrent callers: the loser's duplicate error is fine). */
export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err;
      });
    }
  } finally {
    await client.end();
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Starts a cluster (initialising it on first use) and waits until it answers queries. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresHandle> {
  const inst = await ensurePostgres();
  const root = postgresDataRoot(inst.runAs);
  mkdirOwned(root, inst.runAs, 0o755);
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(root, 'cluster-'));
  const ephemeral = options.ephemeral ?? ownsDataDir;
  const removeOwned = (): void => {
    if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let password: string;
  try {
    password = fs.existsSync(path.join(dataDir, 'PG_VERSION')) ? readPassword(dataDir) : await initCluster(inst, dataDir);
  } catch (err) {
    removeOwned();
    throw err;
  }
  const port = options.port ?? (await freePort());
  const database = options.database ?? 'homeostat';
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    // TCP only: no socket file in /var/run/postgresql (owned by the package) or elsewhere.
    unix_socket_directories: '',
    max_connections: options.maxConnections ?? 200,
    shared_buffers: '64MB',
    // Small workloads on two cores: less background work.
    max_worker_processes: 4,
    max_parallel_workers: 0,
    max_parallel_workers_per_gather: 0,
    log_min_messages: 'warning',
    ...(ephemeral ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
  };
  const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const proc = spawnService('postgres', path.join(inst.binDir, 'postgres'), args, {
    logFile: options.logFile ?? path.join(os.tmpdir(), `homeostat-postgres-${process.pid}-${port}.log`),
    cwd: '/',
    env: { ...process.env, LC_ALL: 'C' },
    ...(inst.runAs ? { uid: inst.runAs.uid, gid: inst.runAs.gid } : {}),
  });
  const adminUrl = urlFor(password, port, 'postgres');
  const stop = async (): Promise<void> => {
    // SIGINT is the fast shutdown (disconnect clients, checkpoint); SIGTERM would wait for them.
    if (proc.exitStatus() === undefined) {
      try {
        process.kill(proc.pid, 'SIGINT');
      } catch {
        // Already gone.
      }
    }
    await proc.stop(15_000);
    removeOwned();
    if (!options.logFile) fs.rmSync(proc.logFile, { force: true });
  };
  try {
    await step(`PostgreSQL ${VERSIONS.postgres}: start on 127.0.0.1:${port} (${dataDir})`, async () => {
      await waitUntilReady(proc, () => answers(adminUrl), { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 200, what: `PostgreSQL on 127.0.0.1:${port}` });
      await createDatabaseIfMissing(adminUrl, database);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: urlFor(password, port, database), adminUrl, port, pid: proc.pid, dataDir, logFile: proc.logFile, started: true, stop };
}

/** HOMEOSTAT_POSTGRES_URL when set (checked to answer); else a local server started here. */
export async function connectOrStartPostgres(options: PostgresOptions = {}): Promise<PostgresHandle> {
  const url = process.env[POSTGRES_URL_ENV];
  if (!url) return startPostgres(options);
  log(`[homeostat] PostgreSQL: use ${POSTGRES_URL_ENV}=${redactUrl(url)}`);
  if (!(await answers(url).catch(() => false))) {
    throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `${POSTGRES_URL_ENV}=${redactUrl(url)}: no PostgreSQL server answered.`);
  }
  const parsed = new URL(url);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return { url, adminUrl: admin.toString(), port: Number(parsed.port || 5432), pid: undefined, dataDir: undefined, logFile: undefined, started: false, stop: async () => undefined };
}

/**
 * The kept cluster of `homeostat dev --kb postgres` / `--temporal server`: `<stateDir>/postgres`
 * when the server's user can reach it, else one per state directory under the data root.
 */
export async function devPostgresDataDir(stateDirectory: string): Promise<string> {
  const inst = await ensurePostgres();
  const inState = path.join(path.resolve(stateDirectory), 'postgres');
  if (!inst.runAs || traversable(inState, inst.runAs)) return inState;
  const key = crypto.createHash('sha256').update(path.resolve(stateDirectory)).digest('hex').slice(0, 12);
  return path.join(postgresDataRoot(inst.runAs), `dev-${key}`);
}
