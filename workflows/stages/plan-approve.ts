/**
 * plan: the policy engine and the safety layer choose the rung to try (skipped while a plan
 * carried across continue-as-new still waits for its approval). approve: when safety asks for
 * it, wait — on a durable timer — for an authorised approver, a rejection, an abort, or the
 * timeout (which goes to a human).
 */
import * as wf from '@temporalio/workflow';
import type { PlanResult } from '../../activities/contracts';
import { activities } from '../proxies';
import { historyTooLong, type Incident } from '../incident-state';
import type { IncidentState } from '../shared';
import { continueAsNew, escalateToHuman, finish } from './close';

export async function plan(inc: Incident, attempt: number): Promise<PlanResult> {
  const { rec, state } = inc;
  if (!inc.current) {
    rec.stage('plan', `attempt ${attempt}`);
    inc.current = await activities.plan({
      incidentId: inc.id,
      pipeline: state.pipeline,
      component: state.component,
      diagnosis: inc.diagnosis!,
      exclude: [...rec.ladderTried],
      attempt,
      requestedMode: inc.input.mode,
      forceApproval: inc.input.requireApproval,
    });
    rec.planned(inc.current);
    // Timeline notes only (no command): what the starter asked for that the policy overrode.
    for (const note of inc.current.overridden ?? []) rec.note('plan', 'starter override ignored', note);
  }
  if (inc.current.trust) inc.lastTrust = inc.current.trust;
  return inc.current;
}

/** Safety denied the plan, or the policy itself chose a human: nothing to approve or run. */
export async function handToHumanIfPlanned(inc: Incident, chosen: PlanResult): Promise<IncidentState | undefined> {
  const action = chosen.plan.action;
  if (chosen.verdict === 'deny') return escalateToHuman(inc, `safety layer denied ${action}: ${chosen.plan.reasons.join('; ')}`);
  if (action === 'escalate') return escalateToHuman(inc, chosen.plan.reasons.join('; ') || 'policy chose escalation');
  return undefined;
}

/** Waits for the approval the plan needs (none needed, or already given: returns at once). */
export async function approve(inc: Incident, chosen: PlanResult): Promise<IncidentState | undefined> {
  const { rec, state, timing } = inc;
  if (chosen.verdict !== 'require-approval' || inc.approval) return undefined;
  const action = chosen.plan.action;
  rec.awaitApproval(chosen);
  const deadline = Date.parse(chosen.plan.expiresAt ?? new Date(Date.now() + timing.approvalTimeoutMs).toISOString());
  for (;;) {
    const remaining = deadline - Date.now();
    const decided = await wf.condition(() => !!inc.approval || !!inc.rejection || !!inc.abortedBy || historyTooLong(inc), Math.max(remaining, 1));
    if (!decided) break;
    if (inc.approval || inc.rejection || inc.abortedBy) break;
    return continueAsNew(inc, chosen);
  }
  state.awaitingApproval = false;
  rec.syncSearchAttributes();
  if (inc.abortedBy) return finish(inc, 'aborted', `aborted by ${inc.abortedBy} while awaiting approval`);
  if (inc.rejection) {
    rec.explain({ action: `${action} rejected by ${inc.rejection.approver}`, verification: 'not run: the plan was rejected' });
    return finish(inc, 'rejected', `rejected by ${inc.rejection.approver}`);
  }
  if (!inc.approval) return escalateToHuman(inc, `no approval within ${Math.round(timing.approvalTimeoutMs / 1000)} s for ${action}`);
  return undefined;
}
