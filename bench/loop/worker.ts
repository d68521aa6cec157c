/**
 * One benchmark worker process: the incident workflow and activities on the benchmark's task
 * queue, its knowledge base shared with the other workers (PostgreSQL). Prints `ready <identity>`
 * once polling; on SIGTERM shuts down and prints one `stats {…}` line with its knowledge-base time.
 *
 * Run: node --require tsx/cjs bench/loop/worker.ts '<LoopWorkerConfig as JSON>'
 */
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { PostgresKnowledgeBase } from '../../knowledge/postgres';
import { installQuietRuntime } from '../../workers/stack';
import { createIncidentWorker } from '../../workers/worker';
import { benchDeps, benchPolicy, timedKnowledgeBase, type KbTimer } from './deps';

export interface LoopWorkerConfig {
  temporalAddress: string;
  taskQueue: string;
  bundlePath: string;
  identity: string;
  kbUrl: string;
  components: number;
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (!raw) throw new Error('usage: worker.ts <config JSON>');
  const config = JSON.parse(raw) as LoopWorkerConfig;
  installQuietRuntime();
  const kb = await PostgresKnowledgeBase.open(config.kbUrl, { maxConnections: 10 });
  const timer: KbTimer = { calls: 0, ms: 0 };
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createIncidentWorker({
    connection,
    taskQueue: config.taskQueue,
    activities: createActivities(benchDeps(timedKnowledgeBase(kb, timer), benchPolicy(config.components))),
    workflowBundle: { codePath: config.bundlePath },
    identity: config.identity,
    audit: kb,
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  process.stdout.write(`ready ${config.identity}\n`);
  await running;
  await connection.close();
  await kb.close();
  process.stdout.write(`stats ${JSON.stringify({ identity: config.identity, kbCalls: timer.calls, kbMs: timer.ms })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
