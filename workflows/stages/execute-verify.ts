/**
 * execute: re-validate right before acting (facts may have changed while waiting: preconditions,
 * safety and the approval are checked again and the remediation lease is taken), then run the
 * repair. verify: probe until stable (the verifyUntilStable activity; runs started before the
 * verify-until-stable patch: settle on a durable timer, then probe once), and decide: healed, a human, or the next rung of the ladder.
 */
import * as wf from '@temporalio/workflow';
import type { ExecuteResult, PlanResult, VerifyResult } from '../../activities/contracts';
import { activities, executeActivity, failureMessage, verifyUntilStableActivity } from '../proxies';
import { historyTooLong, type Incident } from '../incident-state';
import { ALWAYS_ALLOWED } from '../../policies/lookup';
import type { VerificationSchedule, VerificationTrace } from '../../policies/verification';
import {
  PATCH_EXECUTE_KNOWS_ANOMALY_ONSET,
  PATCH_EXPLAIN_FAILED_EXECUTE,
  PATCH_NO_EXECUTE_WITHOUT_LEASE,
  PATCH_REAPPROVE_WHEN_APPROVAL_LAPSED,
  PATCH_REPROBE_INCONCLUSIVE,
  PATCH_VERIFY_UNTIL_STABLE,
} from '../patches';
import type { IncidentState } from '../shared';
import { continueAsNew, escalateToHuman, finish, releaseLease } from './close';
import { rediagnoseIfContradicted } from './detect-diagnose';

/** Hard bound on repair attempts per incident, whatever the policy says. */
export const MAX_LADDER_ATTEMPTS = 4;

/** What a turn of the ladder ended with: the incident closed, the cycle goes round again, or the ladder is done. */
export type Turn = IncidentState | 'again' | 'ladder-done';

/** Re-validates and runs the chosen repair; the result when it ran, else how the turn ends. */
export async function execute(inc: Incident, chosen: PlanResult, attempt: number): Promise<ExecuteResult | Turn> {
  const { rec, state } = inc;
  const action = chosen.plan.action;
  const target = chosen.plan.target;
  rec.stage('execute', `re-validating ${action} on ${target}`);
  const check = await activities.revalidate({
    incidentId: inc.id,
    pipeline: state.pipeline,
    component: state.component,
    faultClass: state.faultClass,
    severity: state.severity,
    plan: chosen.plan,
    mode: chosen.mode,
    ...(inc.approval ? { approvedBy: inc.approval.approver } : {}),
  });
  inc.leaseToken = check.leaseToken;
  if (check.verdict === 'deny') return escalateToHuman(inc, `re-validation denied ${action}: ${check.reasons.join('; ')}`);
  if (check.verdict === 'require-approval' && !inc.approval) {
    // A new approval requirement appeared while planning (a freeze window opened…).
    inc.current = { ...chosen, verdict: 'require-approval' };
    return 'again';
  }
  if (check.verdict === 'require-approval' && wf.patched(PATCH_REAPPROVE_WHEN_APPROVAL_LAPSED)) {
    // The approval given no longer counts (the approver lost the role…): ask again, on a fresh plan.
    rec.note('execute', 'approval no longer counts', check.reasons.join('; '));
    inc.approval = undefined;
    inc.current = undefined;
    return 'again';
  }

  if (chosen.mode !== 'shadow' && !ALWAYS_ALLOWED.includes(action) && check.leaseToken === undefined && wf.patched(PATCH_NO_EXECUTE_WITHOUT_LEASE)) {
    // Whatever the approval state: without the lease nothing that changes anything may run.
    return escalateToHuman(inc, `${action} on ${target} not run: re-validation granted no remediation lease (verdict ${check.verdict}${check.reasons.length ? `: ${check.reasons.join('; ')}` : ''})`);
  }

  rec.note('execute', `executing ${action}`, `on ${target}${chosen.mode === 'shadow' ? ' (shadow: record only)' : ''}`);
  const anomalySince = Date.parse(rec.marks.firstAnomalyAt);
  const onset = Number.isFinite(anomalySince) && wf.patched(PATCH_EXECUTE_KNOWS_ANOMALY_ONSET) ? { anomalySince } : {};
  try {
    return await executeActivity(inc.timing.heartbeatTimeoutMs)({
      incidentId: inc.id,
      runId: inc.runId,
      pipeline: state.pipeline,
      target,
      faultClass: state.faultClass,
      action,
      attempt,
      mode: chosen.mode,
      leaseToken: check.leaseToken,
      ...onset,
    });
  } catch (err) {
    await releaseLease(inc, target);
    rec.ladderTried.push(action);
    rec.attempts.push({ action, verify: 'fail' });
    rec.note('execute', `${action} failed`, failureMessage(err));
    if (wf.patched(PATCH_EXPLAIN_FAILED_EXECUTE)) rec.rungFailed(`${action} on ${target} failed: ${failureMessage(err)}`);
    inc.current = undefined;
    inc.approval = undefined;
    return 'again';
  }
}

/** For plans made before the schedule existed (a plan activity's result recorded earlier): what its settle window allowed. */
function scheduleOf(chosen: PlanResult): VerificationSchedule {
  return (
    chosen.verification ?? {
      passesInARow: 2,
      deadlineMs: Math.max(10_000, 2 * chosen.settleMs),
      probeEveryMs: 1_000,
      basis: 'plan without a learned schedule: twice its settle window',
    }
  );
}

export async function verify(inc: Incident, chosen: PlanResult, result: ExecuteResult): Promise<Turn> {
  const { rec, state } = inc;
  const action = chosen.plan.action;
  rec.executed(action, result);
  if (result.shadow) {
    await releaseLease(inc, chosen.plan.target);
    rec.attempts.push({ action, verify: 'skipped' });
    rec.explain({ verification: 'not run: shadow mode records the would-do action only' });
    return finish(inc, 'shadowed', `shadow mode: would have run ${action}`);
  }

  const lease = inc.leaseToken !== undefined ? { target: chosen.plan.target, token: inc.leaseToken } : undefined;
  const probeOnce = (): ReturnType<typeof activities.verify> =>
    activities.verify({ incidentId: inc.id, pipeline: state.pipeline, component: state.component, action, probes: chosen.probes, ...(lease ? { lease } : {}) });
  let verdict: VerifyResult;
  let trace: VerificationTrace | undefined;
  if (wf.patched(PATCH_VERIFY_UNTIL_STABLE)) {
    // Probe at once and until stable: the time to heal is the repair's, not a fixed window's.
    const schedule = scheduleOf(chosen);
    rec.stage('verify', `probing every ${schedule.probeEveryMs} ms until ${schedule.passesInARow} passes in a row, at most ${Math.round(schedule.deadlineMs / 1000)} s`);
    const r = await verifyUntilStableActivity(schedule.deadlineMs)({
      incidentId: inc.id,
      pipeline: state.pipeline,
      component: state.component,
      action,
      probes: chosen.probes,
      ...(lease ? { lease } : {}),
      schedule,
    });
    verdict = { result: r.result, probes: r.probes };
    trace = r.trace;
  } else {
    rec.stage('verify', `settling ${Math.round(chosen.settleMs / 1000)} s before probes`);
    await wf.sleep(chosen.settleMs);
    verdict = await probeOnce();
    // Probes that could not decide yet (telemetry still catching up) get one more settle window
    // before a human is called.
    if (verdict.result === 'inconclusive' && wf.patched(PATCH_REPROBE_INCONCLUSIVE)) {
      rec.note('verify', 'verification inconclusive: probing again after another settle window');
      await wf.sleep(chosen.settleMs);
      verdict = await probeOnce();
    }
  }
  await releaseLease(inc, chosen.plan.target);
  rec.verified(action, verdict, trace);

  if (verdict.result === 'pass') return finish(inc, 'healed', `${action} verified`);
  if (verdict.result === 'inconclusive') return escalateToHuman(inc, `verification of ${action} was inconclusive`);

  // fail → next rung, re-planned without the actions already tried
  rec.ladderTried.push(action);
  inc.current = undefined;
  inc.approval = undefined;
  await rediagnoseIfContradicted(inc, action);
  if (rec.ladderTried.length >= Math.min(chosen.maxAttempts, MAX_LADDER_ATTEMPTS)) return 'ladder-done';
  if (historyTooLong(inc)) return continueAsNew(inc);
  return 'again';
}
