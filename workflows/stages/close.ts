/**
 * How an incident run ends: learn and close with an outcome, hand the incident to a human, or
 * continue as new carrying its state. Learning, escalating and releasing a lease are side
 * activities: when one fails after its retries the incident still closes with its outcome, and
 * the explanation says what failed (an undelivered escalation goes to a redelivery workflow).
 */
import * as wf from '@temporalio/workflow';
import type { PlanResult } from '../../activities/contracts';
import { activities, failureMessage } from '../proxies';
import { escalationDeliveryWorkflow, escalationDeliveryWorkflowId } from '../escalation-delivery';
import type { Incident } from '../incident-state';
import { PATCH_SURVIVE_SIDE_ACTIVITY_FAILURES } from '../patches';
import { incidentWorkflowId, type CarriedIncidentState, type IncidentInput, type IncidentState, type Outcome } from '../shared';

/** First redelivery of an undelivered escalation after this long, doubling up to the cap. */
export const DEFAULT_REDELIVERY_MS = 60_000;
export const MAX_REDELIVERY_MS = 15 * 60_000;

/** learn → closed. */
export async function finish(inc: Incident, outcome: Outcome, summary: string): Promise<IncidentState> {
  const { rec, state } = inc;
  state.outcome = outcome;
  state.awaitingApproval = false;
  rec.closeExplanation(outcome);
  rec.stage('learn', summary);
  try {
    await activities.learn(rec.learnInput(outcome, state.mode, inc.runId));
  } catch (err) {
    if (!wf.patched(PATCH_SURVIVE_SIDE_ACTIVITY_FAILURES)) throw err;
    rec.note('learn', 'learning failed', failureMessage(err));
    rec.appendImpact(`not recorded as a case in the knowledge base: ${failureMessage(err)}`);
  }
  rec.stage('closed', `outcome: ${outcome}`);
  await wf.condition(wf.allHandlersFinished);
  return state;
}

export async function escalateToHuman(inc: Incident, reason: string): Promise<IncidentState> {
  const { rec, state } = inc;
  rec.note(state.stage, 'escalating to a human', reason);
  const escalation = {
    incidentId: inc.id,
    runId: inc.runId,
    pipeline: state.pipeline,
    component: state.component,
    reason,
    explanation: state.explanation,
  };
  let delivery: string;
  try {
    delivery = (await activities.escalate(escalation)).detail;
  } catch (err) {
    if (!wf.patched(PATCH_SURVIVE_SIDE_ACTIVITY_FAILURES)) throw err;
    // A page is never dropped: a workflow of its own redelivers it on durable timers until it lands.
    // Named from the input, not workflowInfo(): a replay under another workflow id still matches.
    const workflowId = escalationDeliveryWorkflowId(incidentWorkflowId(state.pipeline, state.component), inc.runId);
    const firstRetryMs = inc.timing.redeliveryMs ?? DEFAULT_REDELIVERY_MS;
    await wf.startChild(escalationDeliveryWorkflow, {
      workflowId,
      args: [{ escalation, lastError: failureMessage(err), retryMs: firstRetryMs, maxRetryMs: Math.max(firstRetryMs, MAX_REDELIVERY_MS), attempts: 1 }],
      parentClosePolicy: wf.ParentClosePolicy.ABANDON,
    });
    rec.note(state.stage, 'escalation not delivered', `${failureMessage(err)}; redelivered by ${workflowId}`);
    const every = firstRetryMs < 1_000 ? `${firstRetryMs} ms` : `${Math.round(firstRetryMs / 1000)} s`;
    delivery = `not delivered yet: ${failureMessage(err)}; redelivery after ${every}, doubling up to ${Math.round(MAX_REDELIVERY_MS / 60_000)} min, by workflow ${workflowId} until it lands`;
  }
  rec.appendImpact(`escalated to a human: ${reason} (${delivery})`);
  return finish(inc, 'escalated', reason);
}

/** Releases the remediation lease of the repair in progress; a failure leaves it to lapse by itself. */
export async function releaseLease(inc: Incident, target: string): Promise<void> {
  const { rec, state } = inc;
  try {
    await activities.releaseLease({ incidentId: inc.id, pipeline: state.pipeline, target, leaseToken: inc.leaseToken });
  } catch (err) {
    if (!wf.patched(PATCH_SURVIVE_SIDE_ACTIVITY_FAILURES)) throw err;
    rec.note(state.stage, 'lease release failed', failureMessage(err));
    rec.appendImpact(`the lease on ${target} could not be released (${failureMessage(err)}); it lapses at its expiry`);
  }
}

export async function continueAsNew(inc: Incident, pendingPlan?: PlanResult): Promise<never> {
  await wf.condition(wf.allHandlersFinished);
  inc.rec.note(inc.state.stage, 'continued as new', `history ${wf.workflowInfo().historyLength} events`);
  const carried: CarriedIncidentState = {
    ...inc.rec.carry(),
    ...(inc.diagnosis ? { diagnosis: inc.diagnosis } : {}),
    pendingPlan,
    ...(inc.abortedBy !== undefined ? { abortedBy: inc.abortedBy } : {}),
    ...(inc.nonces.size > 0 ? { nonces: [...inc.nonces] } : {}),
    ...(inc.lastTrust ? { lastTrust: inc.lastTrust } : {}),
  };
  return wf.continueAsNew<(input: IncidentInput) => Promise<IncidentState>>({ ...inc.input, evidence: [], carried });
}
