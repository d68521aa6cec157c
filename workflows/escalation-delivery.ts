/**
 * Redelivery of an escalation the incident could not deliver (the webhook was down through all
 * of the escalate activity's retries). The incident closes with its outcome and hands the page
 * to this workflow, which tries again on durable timers — surviving worker and server restarts —
 * with a doubling interval up to a cap, until the page lands. It keeps the incident run's
 * idempotency key, so a receiver that saw an earlier try can drop the repeat.
 */
import * as wf from '@temporalio/workflow';
import type { EscalateInput, IncidentActivities } from '../activities/contracts';
import { NON_RETRYABLE_ERROR_CODES } from '../common/errors';
import { failureMessage } from './proxies';

export interface EscalationDeliveryInput {
  escalation: EscalateInput;
  /** Why the last try failed. */
  lastError: string;
  /** Wait before the next try. */
  retryMs: number;
  maxRetryMs: number;
  /** Tries made so far (the incident's own counts as one). */
  attempts: number;
}

export interface EscalationDeliveryState {
  incidentId: string;
  delivered: boolean;
  attempts: number;
  lastError?: string;
  detail?: string;
}

export const escalationDeliveryQuery = wf.defineQuery<EscalationDeliveryState>('delivery');

export function escalationDeliveryWorkflowId(incidentId: string, runId: string): string {
  return `escalation/${incidentId}@${runId}`;
}

/** Keep each run's history short: a webhook down for days is hundreds of tries. */
const TRIES_PER_RUN = 50;

const { escalate } = wf.proxyActivities<IncidentActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_CODES] },
});

export async function escalationDeliveryWorkflow(input: EscalationDeliveryInput): Promise<EscalationDeliveryState> {
  const state: EscalationDeliveryState = { incidentId: input.escalation.incidentId, delivered: false, attempts: input.attempts, lastError: input.lastError };
  wf.setHandler(escalationDeliveryQuery, () => state);
  let wait = input.retryMs;
  for (let tries = 0; tries < TRIES_PER_RUN; tries++) {
    await wf.sleep(wait);
    state.attempts += 1;
    try {
      const r = await escalate(input.escalation);
      state.delivered = true;
      state.detail = r.detail;
      delete state.lastError;
      return state;
    } catch (err) {
      state.lastError = failureMessage(err);
    }
    wait = Math.min(wait * 2, input.maxRetryMs);
  }
  return wf.continueAsNew<typeof escalationDeliveryWorkflow>({ ...input, lastError: state.lastError ?? input.lastError, retryMs: wait, attempts: state.attempts });
}
