/**
 * A local Temporal dev server (`temporal server start-dev`) with Homeostat's search attributes.
 * In memory for tests; with a SQLite file (WAL, no fsync) for `homeostat dev`, where incidents
 * should survive a restart but durability against power loss does not matter.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { freePorts } from './ports';
import { spawnService, waitUntilReady, type ManagedProcess } from './process';
import { registerSearchAttributes, searchAttributeFlags } from './search-attributes';
import { log, step } from './step';
import { ensureTemporalCli } from './temporal-cli';

export type TemporalLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'never';

export interface DevServerOptions {
  /** Front-end gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; a free one when omitted (only used when `ui` is true). */
  uiPort?: number;
  /** SQLite file for persistence; in memory when omitted. */
  dbFile?: string;
  /** Serve the Web UI (default false: tests do not need it). */
  ui?: boolean;
  logLevel?: TemporalLogLevel;
  namespace?: string;
  /** Where the server's output goes; a temp file when omitted. */
  logFile?: string;
  /**
   * Codec server the Web UI decodes payloads through (`homeostat codec-server`); default
   * HOMEOSTAT_UI_CODEC_ENDPOINT. Only with `ui`.
   */
  uiCodecEndpoint?: string;
  /** How long to wait for the server to answer (default 60 s: a loaded 2-core machine is slow). */
  readyTimeoutMs?: number;
}

export interface DevServerHandle {
  /** host:port of the front-end, for Connection.connect / NativeConnection.connect. */
  address: string;
  /** Web UI base URL, or undefined when headless. */
  uiUrl: string | undefined;
  namespace: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; with `dbFile`, a server started again on the same file resumes its workflows. */
  kill(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServerHandle> {
  const cli = await ensureTemporalCli();
  const ui = options.ui ?? false;
  const namespace = options.namespace ?? 'default';
  const [freeGrpc, freeUi] = await freePorts(2);
  const port = options.port ?? freeGrpc;
  const uiPort = options.uiPort ?? freeUi;
  const address = `127.0.0.1:${port}`;

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--log-level', options.logLevel ?? 'warn');
  if (ui) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  const codecEndpoint = options.uiCodecEndpoint ?? process.env.HOMEOSTAT_UI_CODEC_ENDPOINT;
  if (ui && codecEndpoint) args.push('--ui-codec-endpoint', codecEndpoint);
  if (namespace !== 'default') args.push('--namespace', namespace);
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(path.resolve(options.dbFile)), { recursive: true });
    args.push('--db-filename', options.dbFile);
    args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF');
  }
  // Registered as the namespace is created; registerSearchAttributes below covers databases
  // created before an attribute existed.
  args.push(...searchAttributeFlags());

  const proc = spawnService('temporal-dev-server', cli, args, { logFile: options.logFile });
  try {
    return await step(`Temporal dev server: start on ${address}${options.dbFile ? ` (db ${options.dbFile})` : ' (in memory)'}`, async () => {
      const connection = await connectWhenReady(proc, address, options.readyTimeoutMs ?? 60_000);
      try {
        const added = await registerSearchAttributes(connection, namespace);
        if (added.length > 0) log(`[homeostat] Temporal dev server: registered search attributes ${added.join(', ')}`);
      } finally {
        await connection.close();
      }
      return {
        address,
        uiUrl: ui ? `http://127.0.0.1:${uiPort}` : undefined,
        namespace,
        pid: proc.pid,
        logFile: proc.logFile,
        stop: async () => {
          await proc.stop(10_000);
          // A temp log is only worth keeping when something failed, and then it is named in the error.
          if (!options.logFile) fs.rmSync(proc.logFile, { force: true });
        },
        kill: () => proc.kill(),
      };
    });
  } catch (err) {
    await proc.stop(2_000);
    throw err;
  }
}

async function connectWhenReady(proc: ManagedProcess, address: string, timeoutMs: number): Promise<Connection> {
  let connection: Connection | undefined;
  await waitUntilReady(
    proc,
    async () => {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      return true;
    },
    { timeoutMs, what: `Temporal dev server on ${address}` },
  );
  if (!connection) throw new Error('unreachable: ready without a connection');
  return connection;
}
