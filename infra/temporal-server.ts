/**
 * A real Temporal server — not the single-binary dev server — built from the Go module proxy
 * (`go.temporal.io/server`), its persistence and visibility on PostgreSQL with the schema set up
 * by the server's own `temporal-sql-tool`, and the Temporal Web UI (`ui-server`) pointed at it.
 * All four roles (frontend, history, matching, worker) run in one process on loopback ports.
 *
 * `ensureTemporalServer()` builds once per version into the cache (a lock file makes concurrent
 * callers wait for the one build); `startTemporalServer()` needs a PostgreSQL server (ours or
 * HOMEOSTAT_POSTGRES_URL) and creates the two databases on it when missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { HomeostatError } from '../common/errors';
import { cacheDir } from '../common/paths';
import { withCacheLock } from './cache-lock';
import { freeLowPorts, freePorts } from './ports';
import { connectOrStartPostgres, type PostgresHandle } from './postgres';
import type { TemporalTarget } from './services';
import { runToCompletion, spawnService, waitUntilReady, type ManagedProcess } from './process';
import { registerSearchAttributes } from './search-attributes';
import { buildTemporalCommands } from './temporal-build';
import { log, longStep, step } from './step';
import { requireTool } from './toolchain';
import { VERSIONS } from './versions';

export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_UI_MODULE = 'github.com/temporalio/ui-server/v2';

export interface TemporalServerBuild {
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the same module version: what the SQL tool applies. */
  schemaDir: string;
  ui: string;
}

export function temporalServerDir(): string {
  return path.join(cacheDir(), `temporal-server-${VERSIONS.temporalServer}`);
}

export function temporalUiDir(): string {
  return path.join(cacheDir(), `temporal-ui-${VERSIONS.temporalUi}`);
}

const isFile = (f: string): boolean => fs.statSync(f, { throwIfNoEntry: false })?.isFile() ?? false;

/**
 * `go install` of the named commands into `dir` (GOBIN), renamed to their final names only once
 * all built: a half-finished build never looks cached.
 */
async function goInstall(what: string, dir: string, commands: { pkg: string; built: string; name: string }[], version: string): Promise<void> {
  const go = requireTool('go');
  fs.mkdirSync(dir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(dir, '.build-'));
  try {
    await longStep(`${what}: go install ${commands.map((c) => `${c.pkg}@v${version}`).join(' ')} (a cold build takes many minutes)`, () =>
      runToCompletion(`go install ${what}`, 'nice', ['-n', '15', go, 'install', ...commands.map((c) => `${c.pkg}@v${version}`)], {
        env: { ...process.env, GOBIN: staging, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
      }),
    );
    for (const c of commands) fs.renameSync(path.join(staging, c.built), path.join(dir, c.name));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Copies the module's PostgreSQL schema files into the cache, so a cleaned Go module cache does not matter. */
async function copySchema(dest: string): Promise<void> {
  const go = requireTool('go');
  const out = await runToCompletion('go mod download', go, ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@v${VERSIONS.temporalServer}`], {
    env: { ...process.env, GOFLAGS: '-mod=mod' },
    cwd: os.tmpdir(),
  });
  const moduleDir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!moduleDir) throw new HomeostatError('HS_PROVISION_FAILED', `go mod download did not name a directory for ${TEMPORAL_SERVER_MODULE}.`);
  const tmp = `${dest}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.cpSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'), tmp, { recursive: true });
  // Module cache files are read-only; ours need not be.
  fs.renameSync(tmp, dest);
}

/** Builds (once per version) and returns the server, its SQL tool, their schema and the UI server. */
export async function ensureTemporalServer(): Promise<TemporalServerBuild> {
  const dir = temporalServerDir();
  const uiDir = temporalUiDir();
  const build: TemporalServerBuild = {
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
    ui: path.join(uiDir, 'temporal-ui-server'),
  };
  const serverReady = (): boolean => isFile(build.server) && isFile(build.sqlTool) && isFile(path.join(build.schemaDir, 'temporal', 'schema.sql'));
  if (!serverReady()) {
    await withCacheLock(cacheDir(), `temporal-server-${VERSIONS.temporalServer}`, async () => {
      if (serverReady()) return;
      if (!isFile(build.server) || !isFile(build.sqlTool)) {
        // From the CLI's module graph: after the CLI's build most packages are in Go's build cache.
        await buildTemporalCommands(`Temporal server ${VERSIONS.temporalServer}`, dir, [
          { pkg: `${TEMPORAL_SERVER_MODULE}/cmd/server`, name: 'temporal-server' },
          { pkg: `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql`, name: 'temporal-sql-tool' },
        ]);
      }
      fs.mkdirSync(path.dirname(build.schemaDir), { recursive: true });
      await copySchema(build.schemaDir);
    });
  } else {
    log(`[homeostat] Temporal server ${VERSIONS.temporalServer}: cached at ${dir}`);
  }
  if (!isFile(build.ui)) {
    await withCacheLock(cacheDir(), `temporal-ui-${VERSIONS.temporalUi}`, async () => {
      if (isFile(build.ui)) return;
      await goInstall(`Temporal UI server ${VERSIONS.temporalUi}`, uiDir, [{ pkg: `${TEMPORAL_UI_MODULE}/cmd/server`, built: 'server', name: 'temporal-ui-server' }], VERSIONS.temporalUi);
    });
  }
  return build;
}

export interface TemporalServerOptions {
  /** PostgreSQL to keep the server's data in; one is started (and stopped with the server) when omitted. */
  postgres?: PostgresHandle;
  /** Front-end gRPC port; a free one when omitted. */
  port?: number;
  /** Serve the Web UI (default false). */
  ui?: boolean;
  uiPort?: number;
  namespace?: string;
  /** Database name prefix (default `temporal`): `<prefix>` and `<prefix>_visibility`. */
  databasePrefix?: string;
  /** Where the server's files (config, logs) go; a temp dir when omitted. */
  dir?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  readyTimeoutMs?: number;
}

export interface TemporalServerHandle {
  address: string;
  namespace: string;
  uiUrl: string | undefined;
  pid: number;
  logFile: string;
  postgres: PostgresHandle;
  /** How long the start took, from spawning the server until the namespace answered. */
  startMs: number;
  stop(): Promise<void>;
}

interface Ports {
  frontend: number;
  frontendMembership: number;
  frontendHttp: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

function serverConfig(o: { ports: Ports; pg: URL; db: string; logLevel: string }): string {
  const store = (database: string, maxConns: number): string => `
      sql:
        pluginName: postgres12
        databaseName: ${JSON.stringify(database)}
        connectAddr: ${JSON.stringify(`${o.pg.hostname}:${o.pg.port || 5432}`)}
        connectProtocol: tcp
        user: ${JSON.stringify(decodeURIComponent(o.pg.username))}
        password: ${JSON.stringify(decodeURIComponent(o.pg.password))}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number, http?: number): string => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnIP: 127.0.0.1${http ? `\n      httpPort: ${http}` : ''}`;
  return `# Generated by Homeostat (infra/temporal-server.ts)
log:
  stdout: true
  level: ${o.logLevel}
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:${store(o.db, 20)}
    visibility:${store(`${o.db}_visibility`, 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:${service(o.ports.frontend, o.ports.frontendMembership, o.ports.frontendHttp)}
  history:${service(o.ports.history, o.ports.historyMembership)}
  matching:${service(o.ports.matching, o.ports.matchingMembership)}
  worker:${service(o.ports.worker, o.ports.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${o.ports.frontend}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: config/dynamicconfig.yaml
  pollInterval: 60s
`;
}

// Search attributes created at start-up are usable at once (as on the dev server), with the
// persistence rate limits raised to match; frontend-side namespace refresh kept short so a
// freshly registered namespace is found within a second.
const DYNAMIC_CONFIG = `# Generated by Homeostat (infra/temporal-server.ts)
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
frontend.persistenceMaxQPS:
  - value: 10000
history.persistenceMaxQPS:
  - value: 45000
frontend.namespaceRPS.visibility:
  - value: 100
`;

function uiConfig(o: { port: number; frontend: string; namespace: string }): string {
  return `# Generated by Homeostat (infra/temporal-server.ts)
host: 127.0.0.1
port: ${o.port}
temporalGrpcAddress: ${o.frontend}
enableUi: true
defaultNamespace: ${o.namespace}
hideLogs: true
cors:
  cookieInsecure: true
`;
}

async function sqlTool(build: TemporalServerBuild, pg: URL, database: string, args: string[]): Promise<string> {
  return runToCompletion(`temporal-sql-tool ${args[0]} (${database})`, build.sqlTool, [
    '--plugin', 'postgres12',
    '--ep', pg.hostname,
    '--port', pg.port || '5432',
    '--user', decodeURIComponent(pg.username),
    '--db', database,
    ...args,
  ], { env: { ...process.env, SQL_PASSWORD: decodeURIComponent(pg.password) } });
}

/** Creates the database if missing and brings its schema to the version this build ships. */
async function setUpDatabase(build: TemporalServerBuild, pg: URL, database: string, schema: 'temporal' | 'visibility'): Promise<void> {
  await sqlTool(build, pg, database, ['create-database']).catch((err: Error) => {
    if (!/already exists/.test(err.message)) throw err;
  });
  // setup-schema -v 0.0 creates the version table once; update-schema applies what is missing.
  await sqlTool(build, pg, database, ['setup-schema', '-v', '0.0']).catch((err: Error) => {
    if (!/already exists/.test(err.message)) throw err;
  });
  await sqlTool(build, pg, database, ['update-schema', '-d', path.join(build.schemaDir, schema, 'versioned')]);
}

export async function startTemporalServer(options: TemporalServerOptions = {}): Promise<TemporalServerHandle> {
  if (options.port !== undefined && options.port > 32_767) {
    // Its cluster_membership table keeps the port in a PostgreSQL smallint.
    throw new HomeostatError('HS_INVALID_INPUT', `Temporal server port ${options.port}: must be at most 32767 with PostgreSQL persistence.`);
  }
  const build = await ensureTemporalServer();
  const ownsPostgres = options.postgres === undefined;
  const postgres = options.postgres ?? (await connectOrStartPostgres());
  const namespace = options.namespace ?? 'default';
  const db = options.databasePrefix ?? 'temporal';
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-temporal-server-'));
  let proc: ManagedProcess | undefined;
  let ui: ManagedProcess | undefined;
  const stop = async (): Promise<void> => {
    await ui?.stop(5_000);
    await proc?.stop(15_000);
    if (ownsPostgres) await postgres.stop();
    if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pg = new URL(postgres.url);
    await step(`Temporal server: schema on PostgreSQL (${db}, ${db}_visibility) with temporal-sql-tool`, async () => {
      await setUpDatabase(build, pg, db, 'temporal');
      await setUpDatabase(build, pg, `${db}_visibility`, 'visibility');
    });
    const p = await freeLowPorts(options.port ? 8 : 9);
    const ports: Ports = {
      frontend: options.port ?? (p.pop() as number),
      frontendMembership: p[0] as number,
      frontendHttp: p[1] as number,
      history: p[2] as number,
      historyMembership: p[3] as number,
      matching: p[4] as number,
      matchingMembership: p[5] as number,
      worker: p[6] as number,
      workerMembership: p[7] as number,
    };
    const configDir = path.join(dir, 'config');
    fs.mkdirSync(configDir, { recursive: true });
    // The passwords inside: readable by us only.
    fs.writeFileSync(path.join(configDir, 'development.yaml'), serverConfig({ ports, pg, db, logLevel: options.logLevel ?? 'warn' }), { mode: 0o600 });
    fs.writeFileSync(path.join(configDir, 'dynamicconfig.yaml'), DYNAMIC_CONFIG);
    const address = `127.0.0.1:${ports.frontend}`;
    const started = performance.now();
    proc = spawnService('temporal-server', build.server, ['--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], {
      cwd: dir,
      logFile: path.join(dir, 'temporal-server.log'),
    });
    const server = proc;
    await step(`Temporal server ${VERSIONS.temporalServer}: start on ${address}`, async () => {
      let connection: Connection | undefined;
      await waitUntilReady(
        server,
        async () => {
          connection ??= await Connection.connect({ address, connectTimeout: 2_000 });
          await connection.workflowService.getSystemInfo({});
          return true;
        },
        { timeoutMs: options.readyTimeoutMs ?? 120_000, intervalMs: 300, what: `Temporal server on ${address}` },
      );
      const conn = connection as Connection;
      try {
        await ensureNamespace(conn, namespace, server, options.readyTimeoutMs ?? 120_000);
        const added = await registerSearchAttributes(conn, namespace);
        if (added.length > 0) log(`[homeostat] Temporal server: registered search attributes ${added.join(', ')}`);
      } finally {
        await conn.close();
      }
    });
    const startMs = performance.now() - started;
    let uiUrl: string | undefined;
    if (options.ui) {
      const uiPort = options.uiPort ?? (await freePorts(1))[0]!;
      const uiRoot = path.join(dir, 'ui');
      fs.mkdirSync(path.join(uiRoot, 'config'), { recursive: true });
      fs.writeFileSync(path.join(uiRoot, 'config', 'development.yaml'), uiConfig({ port: uiPort, frontend: address, namespace }));
      ui = spawnService('temporal-ui', build.ui, ['--root', uiRoot, '--config', 'config', '--env', 'development', 'start'], {
        cwd: uiRoot,
        logFile: path.join(dir, 'temporal-ui.log'),
      });
      uiUrl = `http://127.0.0.1:${uiPort}`;
      const url = uiUrl;
      await step(`Temporal Web UI ${VERSIONS.temporalUi}: start on ${url}`, () =>
        waitUntilReady(ui as ManagedProcess, async () => (await fetch(`${url}/api/v1/namespaces/${namespace}`)).ok, { timeoutMs: 60_000, what: `Temporal UI on ${url}` }),
      );
    }
    return { address, namespace, uiUrl, pid: server.pid, logFile: server.logFile, postgres, startMs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Registers the namespace unless it exists, then waits until the frontend serves it. */
async function ensureNamespace(connection: Connection, namespace: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch {
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') })
      .catch((err: Error) => {
        if (!/already exists|AlreadyExists/i.test(err.message)) throw err;
      });
  }
  // The frontend caches namespaces: wait until a visibility call in it succeeds.
  await waitUntilReady(
    proc,
    async () => {
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return true;
    },
    { timeoutMs, intervalMs: 250, what: `namespace ${namespace} on the Temporal server` },
  );
}

/** The real server as the stack's TemporalTarget: stopping the target stops the server. */
export function temporalServerTarget(handle: TemporalServerHandle): TemporalTarget {
  return { address: handle.address, namespace: handle.namespace, uiUrl: handle.uiUrl, started: true, stop: handle.stop };
}
