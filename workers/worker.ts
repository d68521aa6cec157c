/**
 * The Homeostat worker: runs incident workflows and their activities on one task queue.
 * Stateless: scale horizontally by starting more of them against the same Temporal cluster.
 */
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { dataConverterFromEnv } from '../common/payload-codec';
import type { IncidentActivities } from '../activities/contracts';
import type { KnowledgeBase } from '../knowledge/types';
import { TASK_QUEUE } from '../workflows/shared';
import { decisionAuditSinks } from './decision-audit';

export interface WorkerConfig {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  activities: IncidentActivities;
  /** A pre-built bundle (tests bundle once per file); otherwise the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
  /** Payload encryption; default: the codec HOMEOSTAT_CODEC_KEYS / HOMEOSTAT_CODEC_KEY_FILE configure, if any. */
  dataConverter?: DataConverter;
  /** Where decision attempts are audited: the knowledge base the activities use. */
  audit: KnowledgeBase | undefined;
}

export const WORKFLOWS_PATH = require.resolve('../workflows/index.ts');

export async function createIncidentWorker(config: WorkerConfig): Promise<Worker> {
  const dataConverter = config.dataConverter ?? dataConverterFromEnv();
  return Worker.create({
    connection: config.connection,
    namespace: config.namespace ?? 'default',
    taskQueue: config.taskQueue ?? TASK_QUEUE,
    activities: config.activities,
    sinks: decisionAuditSinks(config.audit),
    ...(config.workflowBundle ? { workflowBundle: config.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...(config.identity ? { identity: config.identity } : {}),
    ...(dataConverter ? { dataConverter } : {}),
  });
}
