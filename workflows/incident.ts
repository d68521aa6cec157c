/**
 * The incident workflow: one durable run per incident on `incident/<pipeline>/<component>`,
 * stepping detect → diagnose → plan → (approve) → execute → verify → learn.
 *
 * Deterministic code only: activities are imported as types, time comes from the workflow
 * clock, and every change to the logic after histories were recorded is guarded by patched().
 */
import * as wf from '@temporalio/workflow';
import type { IncidentActivities, PlanResult } from '../activities/contracts';
import type { RepairAction } from '../policies/taxonomy';
import { IncidentRecorder } from './recorder';
import {
  abortSignal,
  approveSignal,
  approveUpdate,
  DEFAULT_TIMING,
  evidenceSignal,
  explanationQuery,
  rejectSignal,
  rejectUpdate,
  stateQuery,
  timelineQuery,
  type Approval,
  type CarriedIncidentState,
  type IncidentInput,
  type IncidentState,
  type Outcome,
  type Rejection,
} from './shared';

const { diagnose, plan, revalidate, verify, escalate, learn, releaseLease, handOver } = wf.proxyActivities<IncidentActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** Repairs can be long: they heartbeat, and resume from their heartbeat details after a crash. */
const { execute } = wf.proxyActivities<IncidentActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['HS_REFUSED', 'HS_INVALID_INPUT', 'HS_PRECONDITION_FAILED'],
  },
});

/**
 * Patch ids of workflow-logic changes, oldest first. Each guards a change made after histories
 * were recorded (test/fixtures/histories); never remove one while such histories may replay.
 */
export const PATCH_REPROBE_INCONCLUSIVE = 'reprobe-inconclusive-verification';
/** A diagnosis that finds the root cause upstream hands the incident over instead of repairing here. */
export const PATCH_HAND_OVER_UPSTREAM = 'hand-over-upstream-root-cause';
/**
 * A repair that failed verification while a hard fault of another class arrived is re-diagnosed
 * from that evidence before the next rung: a crash that turns out to be a crash on a corrupt
 * checkpoint needs a checkpoint restore, not the crash ladder's next rung.
 */
export const PATCH_REDIAGNOSE_ON_NEW_HARD_FAULT = 'rediagnose-on-new-hard-fault';

/** Hard bound on repair attempts per incident, whatever the policy says. */
const MAX_LADDER_ATTEMPTS = 4;
/** Continue-as-new well before Temporal's own limits, carrying state and evidence. */
const DEFAULT_MAX_HISTORY_EVENTS = 8_000;

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  const info = wf.workflowInfo();
  const timing = { ...DEFAULT_TIMING, ...input.timing };
  const rec = IncidentRecorder.create(info.workflowId, input);
  const { state } = rec;

  let approval: Approval | undefined;
  let rejection: Rejection | undefined;
  let abortedBy: string | undefined;
  let current: PlanResult | undefined = input.carried?.pendingPlan;

  // ---- messages -------------------------------------------------------------------------
  wf.setHandler(evidenceSignal, (e) => rec.addEvidence(e));
  wf.setHandler(stateQuery, () => state);
  wf.setHandler(explanationQuery, () => state.explanation);
  wf.setHandler(timelineQuery, () => rec.timeline);

  /** Why an approval or rejection by `who` must be refused now, or undefined when it may pass. */
  const refusal = (who: string, planId: string | undefined): string | undefined => {
    if (!state.awaitingApproval || !current) return `incident ${info.workflowId} is not waiting for an approval (stage ${state.stage})`;
    if (!current.approvers.includes(who)) {
      return `"${who}" is not an authorised approver for pipeline ${state.pipeline} (authorised: ${current.approvers.join(', ') || 'none'})`;
    }
    if (planId !== undefined && planId !== current.plan.planId) {
      return `approval names plan ${planId}, but the pending plan is ${current.plan.planId}`;
    }
    if (current.plan.expiresAt && Date.now() > Date.parse(current.plan.expiresAt)) {
      return `plan ${current.plan.planId} expired at ${current.plan.expiresAt}`;
    }
    return undefined;
  };
  const accept = (a: Approval): void => {
    approval = a;
    state.approvals.push(a);
    rec.note('approve', 'approved', `by ${a.approver}${a.reason ? `: ${a.reason}` : ''}`);
  };
  const decline = (r: Rejection): void => {
    rejection = r;
    rec.note('approve', 'rejected', `by ${r.approver}${r.reason ? `: ${r.reason}` : ''}`);
  };

  wf.setHandler(
    approveUpdate,
    (a) => {
      accept(a);
      return state;
    },
    {
      validator: (a) => {
        const why = refusal(a.approver, a.planId);
        if (why) throw new Error(why);
      },
    },
  );
  wf.setHandler(
    rejectUpdate,
    (r) => {
      decline(r);
      return state;
    },
    {
      validator: (r) => {
        const why = refusal(r.approver, undefined);
        if (why) throw new Error(why);
      },
    },
  );
  // Signals cannot be refused before they enter history: an invalid one is recorded and ignored.
  wf.setHandler(approveSignal, (a) => {
    const why = refusal(a.approver, a.planId);
    if (why) rec.note(state.stage, 'approval ignored', why);
    else accept(a);
  });
  wf.setHandler(rejectSignal, (r) => {
    const why = refusal(r.approver, undefined);
    if (why) rec.note(state.stage, 'rejection ignored', why);
    else decline(r);
  });
  wf.setHandler(abortSignal, ({ by, reason }) => {
    abortedBy = by;
    rec.note(state.stage, 'abort requested', `by ${by}${reason ? `: ${reason}` : ''}`);
  });

  const maxHistory = input.timing?.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const historyTooLong = (): boolean => wf.workflowInfo().continueAsNewSuggested || wf.workflowInfo().historyLength > maxHistory;

  const continueAsNew = async (pendingPlan?: PlanResult): Promise<never> => {
    await wf.condition(wf.allHandlersFinished);
    rec.note(state.stage, 'continued as new', `history ${wf.workflowInfo().historyLength} events`);
    const carried: CarriedIncidentState = { ...rec.carry(), ...(diagnosis ? { diagnosis } : {}), pendingPlan };
    return wf.continueAsNew<typeof incidentWorkflow>({ ...input, evidence: [], carried });
  };

  const finish = async (outcome: Outcome, summary: string): Promise<IncidentState> => {
    state.outcome = outcome;
    state.awaitingApproval = false;
    rec.closeExplanation(outcome);
    rec.stage('learn', summary);
    await learn(rec.learnInput(outcome, state.mode, wf.workflowInfo().startTime));
    rec.stage('closed', `outcome: ${outcome}`);
    await wf.condition(wf.allHandlersFinished);
    return state;
  };

  const escalateToHuman = async (reason: string): Promise<IncidentState> => {
    rec.note(state.stage, 'escalating to a human', reason);
    const res = await escalate({
      incidentId: info.workflowId,
      pipeline: state.pipeline,
      component: state.component,
      reason,
      explanation: state.explanation,
    });
    const before = rec.isPlaceholder('impact') ? '' : `${state.explanation.impact}; `;
    rec.explain({ impact: `${before}escalated to a human: ${reason} (${res.detail})` });
    return finish('escalated', reason);
  };

  // ---- detect ---------------------------------------------------------------------------
  if (!input.carried) {
    rec.stage('detect', input.trigger.detail);
    if (timing.confirmMs > 0 && input.trigger.kind === 'health') {
      // Confirm persistence: transient blips that recover during the window close quietly.
      await wf.sleep(timing.confirmMs);
      const probe = await verify({
        incidentId: info.workflowId,
        pipeline: state.pipeline,
        component: state.component,
        action: 'log-and-wait',
        probes: ['health-recovered'],
      });
      if (probe.result === 'pass' && state.evidenceCount <= 1) {
        rec.explain({ cause: 'transient anomaly', action: 'none', verification: 'health recovered during the confirmation window' });
        return finish('resolved-itself', 'anomaly did not persist');
      }
    }
  }
  if (abortedBy) return finish('aborted', `aborted by ${abortedBy}`);

  // ---- diagnose -------------------------------------------------------------------------
  let diagnosis = input.carried?.diagnosis;
  /** Evidence count when the current diagnosis was made: what came later may contradict it. */
  let diagnosedAtEvidence = state.evidenceCount;
  if (!diagnosis) {
    rec.stage('diagnose', 'classifying the fault and walking lineage upstream');
    diagnosis = await diagnose({
      incidentId: info.workflowId,
      pipeline: state.pipeline,
      component: state.component,
      trigger: input.trigger,
      evidence: rec.evidence,
      faultHint: input.faultClass,
      severityHint: input.severity,
    });
    rec.diagnosed(diagnosis);
    diagnosedAtEvidence = state.evidenceCount;
    if (diagnosis.handOverTo && wf.patched(PATCH_HAND_OVER_UPSTREAM)) {
      const to = await handOver({
        incidentId: info.workflowId,
        pipeline: state.pipeline,
        from: state.component,
        to: diagnosis.handOverTo,
        faultClass: diagnosis.faultClass,
        evidence: rec.evidence,
        timing,
      });
      rec.explain({
        action: `none here: handed over to ${to.incidentId}, the incident of the upstream root cause`,
        impact: `none here: the repair belongs to ${to.incidentId}`,
        verification: `not run here: ${to.incidentId} verifies its repair`,
      });
      return finish('handed-over', `root cause upstream at ${diagnosis.handOverTo}: handed over to ${to.incidentId}`);
    }
  }

  // ---- plan → approve → execute → verify, climbing the escalation ladder -----------------
  while (rec.ladderTried.length < MAX_LADDER_ATTEMPTS) {
    if (abortedBy) return finish('aborted', `aborted by ${abortedBy}`);
    const attempt = rec.ladderTried.length + 1;

    if (!current) {
      rec.stage('plan', `attempt ${attempt}`);
      current = await plan({
        incidentId: info.workflowId,
        pipeline: state.pipeline,
        component: state.component,
        diagnosis,
        exclude: [...rec.ladderTried],
        attempt,
        requestedMode: input.mode,
        forceApproval: input.requireApproval,
      });
      rec.planned(current);
    }
    const chosen: PlanResult = current;
    const action: RepairAction = chosen.plan.action;

    if (chosen.verdict === 'deny') {
      return escalateToHuman(`safety layer denied ${action}: ${chosen.plan.reasons.join('; ')}`);
    }
    if (action === 'escalate') return escalateToHuman(chosen.plan.reasons.join('; ') || 'policy chose escalation');

    // ---- approve ----
    if (chosen.verdict === 'require-approval' && !approval) {
      rec.awaitApproval(chosen);
      const deadline = Date.parse(chosen.plan.expiresAt ?? new Date(Date.now() + timing.approvalTimeoutMs).toISOString());
      for (;;) {
        const remaining = deadline - Date.now();
        const decided = await wf.condition(() => !!approval || !!rejection || !!abortedBy || historyTooLong(), Math.max(remaining, 1));
        if (!decided) break;
        if (approval || rejection || abortedBy) break;
        return continueAsNew(chosen);
      }
      state.awaitingApproval = false;
      rec.syncSearchAttributes();
      if (abortedBy) return finish('aborted', `aborted by ${abortedBy} while awaiting approval`);
      if (rejection) {
        rec.explain({ action: `${action} rejected by ${rejection.approver}`, verification: 'not run: the plan was rejected' });
        return finish('rejected', `rejected by ${rejection.approver}`);
      }
      if (!approval) {
        return escalateToHuman(`no approval within ${Math.round(timing.approvalTimeoutMs / 1000)} s for ${action}`);
      }
    }

    // ---- execute ----
    // Facts may have changed while waiting: preconditions and safety are checked again, and
    // the remediation lease on the target is taken, right before acting.
    rec.stage('execute', `re-validating ${action} on ${chosen.plan.target}`);
    const check = await revalidate({
      incidentId: info.workflowId,
      pipeline: state.pipeline,
      component: state.component,
      faultClass: state.faultClass,
      severity: state.severity,
      plan: chosen.plan,
      mode: chosen.mode,
      ...(approval ? { approvedBy: approval.approver } : {}),
    });
    if (check.verdict === 'deny') {
      return escalateToHuman(`re-validation denied ${action}: ${check.reasons.join('; ')}`);
    }
    if (check.verdict === 'require-approval' && !approval) {
      // A new approval requirement appeared while planning (a freeze window opened…).
      current = { ...chosen, verdict: 'require-approval' };
      continue;
    }

    rec.note('execute', `executing ${action}`, `on ${chosen.plan.target}${chosen.mode === 'shadow' ? ' (shadow: record only)' : ''}`);
    let result;
    try {
      result = await execute({
        incidentId: info.workflowId,
        runId: info.firstExecutionRunId,
        pipeline: state.pipeline,
        target: chosen.plan.target,
        faultClass: state.faultClass,
        action,
        attempt,
        mode: chosen.mode,
        leaseToken: check.leaseToken,
      });
    } catch (err) {
      await releaseLease({ incidentId: info.workflowId, pipeline: state.pipeline, target: chosen.plan.target, leaseToken: check.leaseToken });
      rec.ladderTried.push(action);
      rec.attempts.push({ action, verify: 'fail' });
      rec.note('execute', `${action} failed`, errorMessage(err));
      current = undefined;
      approval = undefined;
      continue;
    }
    rec.executed(action, result);

    if (result.shadow) {
      await releaseLease({ incidentId: info.workflowId, pipeline: state.pipeline, target: chosen.plan.target, leaseToken: check.leaseToken });
      rec.attempts.push({ action, verify: 'skipped' });
      rec.explain({ verification: 'not run: shadow mode records the would-do action only' });
      return finish('shadowed', `shadow mode: would have run ${action}`);
    }

    // ---- verify ----
    rec.stage('verify', `settling ${Math.round(chosen.settleMs / 1000)} s before probes`);
    await wf.sleep(chosen.settleMs);
    const probeOnce = (): ReturnType<typeof verify> =>
      verify({ incidentId: info.workflowId, pipeline: state.pipeline, component: state.component, action, probes: chosen.probes });
    let verdict = await probeOnce();
    // Probes that could not decide yet (telemetry still catching up) get one more settle window
    // before a human is called. Histories recorded before this change replay without it.
    if (verdict.result === 'inconclusive' && wf.patched(PATCH_REPROBE_INCONCLUSIVE)) {
      rec.note('verify', 'verification inconclusive: probing again after another settle window');
      await wf.sleep(chosen.settleMs);
      verdict = await probeOnce();
    }
    await releaseLease({ incidentId: info.workflowId, pipeline: state.pipeline, target: chosen.plan.target, leaseToken: check.leaseToken });
    rec.verified(action, verdict);

    if (verdict.result === 'pass') return finish('healed', `${action} verified`);
    if (verdict.result === 'inconclusive') return escalateToHuman(`verification of ${action} was inconclusive`);

    // fail → next rung, re-planned without the actions already tried
    rec.ladderTried.push(action);
    current = undefined;
    approval = undefined;
    const contradiction = rec.newHardFault(diagnosedAtEvidence, diagnosis.faultClass);
    if (contradiction && wf.patched(PATCH_REDIAGNOSE_ON_NEW_HARD_FAULT)) {
      rec.stage('diagnose', `${action} failed verification and a ${contradiction.faultHint} hard fault arrived since: diagnosing again`);
      diagnosis = await diagnose({
        incidentId: info.workflowId,
        pipeline: state.pipeline,
        component: state.component,
        trigger: input.trigger,
        evidence: rec.evidenceSince(diagnosedAtEvidence),
        faultHint: contradiction.faultHint,
        severityHint: input.severity,
      });
      rec.diagnosed(diagnosis);
      diagnosedAtEvidence = state.evidenceCount;
    }
    if (rec.ladderTried.length >= Math.min(chosen.maxAttempts, MAX_LADDER_ATTEMPTS)) break;
    if (historyTooLong()) return continueAsNew();
  }
  return escalateToHuman(`escalation ladder exhausted after ${rec.ladderTried.join(', ')}`);
}

function errorMessage(err: unknown): string {
  if (err instanceof wf.ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
