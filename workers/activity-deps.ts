/**
 * Builds the activities' dependencies for a worker process from its environment: policy file,
 * knowledge base, bindings and the escalation webhook.
 */
import { type ActivityDeps } from '../activities';

export interface WorkerDeps extends ActivityDeps {
  close?(): Promise<void>;
}

export async function buildActivityDeps(): Promise<WorkerDeps> {
  return {
    approvers: ['oncall-lead'],
    settleMs: 5_000,
    approvalTimeoutMs: 60 * 60 * 1000,
    ...(process.env.HOMEOSTAT_ESCALATION_WEBHOOK ? { escalationWebhookUrl: process.env.HOMEOSTAT_ESCALATION_WEBHOOK } : {}),
  };
}
