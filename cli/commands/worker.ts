import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFromEnv } from '../../common/payload-codec';
import { anchorChain, TemporalAnchorStore } from '../../workers/audit-anchor';
import { type Command } from 'commander';
import { z } from 'zod';
import { temporalSettingsFromEnv } from '../../common/temporal-config';
import { explainConnectFailure, temporalConnectionOptions } from '../../common/temporal-connection-options';
import { createActivities } from '../../activities';
import { buildWorkerDeps } from '../../workers/activity-deps';
import { startHealthEndpoints } from '../../workers/health-server';
import { installQuietRuntime, onShutdownSignal } from '../../workers/stack';
import { createIncidentWorker } from '../../workers/worker';
import { TASK_QUEUE } from '../../workflows/shared';
import { parseFlags } from '../flags';

const WorkerFlags = z.object({
  healthPort: z.coerce.number().int().min(0).max(65535).default(9465),
  healthHost: z.string().min(1).default('127.0.0.1'),
  taskQueue: z.string().min(1).default(TASK_QUEUE),
  identity: z.string().min(1).optional(),
});

export function register(program: Command): void {
  program
    .command('worker')
    .description('run one incident worker against TEMPORAL_ADDRESS with the knowledge base in HOMEOSTAT_KB (scale out by starting more)')
    .option('--health-port <port>', 'port of /livez and /readyz (0 = any)', '9465')
    .option('--health-host <address>', 'address the probe endpoints listen on (0.0.0.0 in a pod)', '127.0.0.1')
    .option('--task-queue <name>', 'task queue of incident workflows', TASK_QUEUE)
    .option('--identity <name>', 'worker identity (default: host and pid)')
    .action(async (raw: unknown) => {
      const f = parseFlags(WorkerFlags, raw);
      installQuietRuntime();
      const settings = temporalSettingsFromEnv();
      const deps = await buildWorkerDeps();
      const options = temporalConnectionOptions(settings);
      const connection = await NativeConnection.connect(options).catch(async (err: unknown) => {
        throw await explainConnectFailure(err, options);
      });
      // Audit anchors go to Temporal through a client of their own (the worker's connection is native).
      const dataConverter = dataConverterFromEnv();
      const clientConnection = deps.anchors
        ? await Connection.connect(options)
        : undefined;
      if (clientConnection) deps.anchors!.attach(new TemporalAnchorStore(new Client({ connection: clientConnection, namespace: settings.namespace, ...(dataConverter ? { dataConverter } : {}) }), anchorChain()));
      else process.stderr.write('[homeostat] audit anchors off: no HOMEOSTAT_AUDIT_ANCHOR_KEY_FILE (a cut or re-hashed audit log would go unnoticed)\n');
      const worker = await createIncidentWorker({
        connection,
        namespace: settings.namespace,
        taskQueue: f.taskQueue,
        activities: createActivities(deps),
        audit: deps.kb,
        ...(f.identity ? { identity: f.identity } : {}),
      });
      const health = await startHealthEndpoints(f.healthPort, f.healthHost, [
        { name: 'temporal-worker', check: async () => (worker.getState() === 'RUNNING' ? undefined : `worker is ${worker.getState()}`) },
        { name: 'knowledge-base', check: async () => void (await deps.kb.latestPolicy()) },
      ]);
      const running = worker.run();
      process.stdout.write(`worker ready: ${settings.address} namespace ${settings.namespace}, task queue ${f.taskQueue}, health http://${f.healthHost}:${health.port}\n`);
      let stopping: Promise<void> | undefined;
      // SIGTERM (a pod being deleted): finish the tasks in hand, then close everything.
      const stop = (): Promise<void> =>
        (stopping ??= (async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running.catch(() => undefined);
          await health.close();
          await deps.anchors?.flush();
          await clientConnection?.close();
          await connection.close();
          await deps.close();
        })());
      onShutdownSignal(stop);
      await running;
      await stop();
    });
}
