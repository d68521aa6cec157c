/**
 * The local stack: a Temporal dev server with the Web UI (or TEMPORAL_ADDRESS), the search
 * attributes, and a Homeostat worker. `homeostat dev` and `homeostat demo` both stand on it.
 */
import path from 'node:path';
import fs from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { IncidentActivities } from '../activities/contracts';
import type { KnowledgeBase } from '../knowledge/types';
import { stateDir } from '../common/paths';
import { DEFAULT_UI_PORT } from '../common/temporal-config';
import { connectOrStartTemporal, targetConnectionOptions, type TemporalTarget } from '../infra/services';
import { log } from '../infra/step';
import { createIncidentWorker } from './worker';

export interface StackOptions {
  /** gRPC port of a dev server started here (default 7233). */
  port?: number;
  uiPort?: number;
  /** Persistent SQLite file of the dev server (default <state dir>/temporal.db). */
  dbFile?: string;
  activities: IncidentActivities;
  /** The knowledge base the activities use: decision attempts are audited there. */
  audit: KnowledgeBase;
  /** Starts (or connects to) Temporal instead of the dev server, e.g. the real server (`dev --temporal server`). */
  temporal?: () => Promise<TemporalTarget>;
}

export interface Stack {
  temporal: TemporalTarget;
  connection: NativeConnection;
  worker: Worker;
  /** Resolves when the worker stops. */
  running: Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  installQuietRuntime();
  const dbFile = options.dbFile ?? path.join(stateDir(), 'temporal.db');
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const temporal = options.temporal ? await options.temporal() : await connectOrStartTemporal({
    port: options.port ?? 7233,
    uiPort: options.uiPort ?? DEFAULT_UI_PORT,
    dbFile,
    ui: true,
    logLevel: 'error',
  });
  let connection: NativeConnection | undefined;
  try {
    connection = await NativeConnection.connect(targetConnectionOptions(temporal));
    const started = Date.now();
    log('[homeostat] worker: bundling workflows and starting');
    const worker = await createIncidentWorker({ connection, namespace: temporal.namespace, activities: options.activities, audit: options.audit });
    log(`[homeostat] worker: ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const running = worker.run();
    const conn = connection;
    return {
      temporal,
      connection,
      worker,
      running,
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
        await conn.close();
        await temporal.stop();
      },
    };
  } catch (err) {
    await connection?.close().catch(() => undefined);
    await temporal.stop();
    throw err;
  }
}

/** Runs `onSignal` once on the first Ctrl-C / SIGTERM; a second Ctrl-C exits at once. */
export function onShutdownSignal(onSignal: () => Promise<void>): void {
  let stopping = false;
  const handler = (sig: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`\n[homeostat] second ${sig}: exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n[homeostat] ${sig}: stopping everything that was started…\n`);
    onSignal().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`[homeostat] shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

let runtimeInstalled = false;
/** The SDK logs every bundle and state change at INFO; an operator's terminal wants warnings only. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger((process.env.HOMEOSTAT_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
}
