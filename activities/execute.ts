/**
 * Re-validate and execute. Right before acting, preconditions and safety are checked again and
 * the remediation lease on the target is taken (its fencing token travels with the action).
 * Execution is idempotent under retries and worker crashes: the actuator log in the knowledge
 * base is keyed by incident, action and attempt, and templates pass the same key to every side
 * effect, so an effect applied before a crash is not applied again.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isAlwaysAllowed } from '../policies/lookup';
import type { ExecuteInput, ExecuteResult, RevalidateInput, RevalidateResult } from './contracts';
import { DEFAULT_LEASE_TTL_MS, type IncidentDeps } from './deps';
import { recordExecutedAction, revalidate as revalidateSafety } from '../knowledge/decide';
import { resourceOf } from '../policies/safety';
import type { FaultClass, UNKNOWN_FAULT } from '../policies/taxonomy';
import { templateContext } from './plan';

export async function revalidate(deps: IncidentDeps, input: RevalidateInput): Promise<RevalidateResult> {
  const { plan } = input;
  const template = deps.templates[plan.action];
  if (!template) return { verdict: 'deny', reasons: [`no repair template for ${plan.action} on this worker`] };
  const ctx = templateContext({ ...input, target: plan.target, attempt: 0 }, `revalidate:${plan.action}`);
  const failed = (await template.preconditions(ctx, deps.templateDeps)).filter((p) => !p.holds);
  if (failed.length > 0) {
    return { verdict: 'deny', reasons: failed.map((p) => `precondition ${p.name} no longer holds: ${p.reason}`) };
  }
  return revalidateSafety(deps.kb, deps.policy(), {
    incidentId: input.incidentId,
    pipeline: input.pipeline,
    component: plan.target,
    faultClass: input.faultClass as FaultClass | typeof UNKNOWN_FAULT,
    severity: input.severity,
    action: plan.action,
    ...(input.approvedBy ? { approvedBy: input.approvedBy } : {}),
    mode: input.mode,
    ...(deps.health ? { health: await deps.health(input.pipeline) } : {}),
    now: (deps.now ?? (() => new Date()))().getTime(),
    leaseTtlMs: deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
  });
}

export async function execute(deps: IncidentDeps, input: ExecuteInput): Promise<ExecuteResult> {
  const template = deps.templates[input.action];
  if (!template) throw ApplicationFailure.nonRetryable(`no repair template for ${input.action}`, 'HS_INVALID_INPUT');
  const resource = resourceOf(input.pipeline, input.target);

  if (input.mode === 'shadow') {
    return { summary: `shadow mode: would run ${input.action} on ${input.target}`, impact: { wouldDo: input.action }, alreadyApplied: false, shadow: true };
  }
  if (input.leaseToken !== undefined && !(await deps.kb.checkFence(resource, input.leaseToken))) {
    // Our lease was taken over (it expired while we were down): acting now could fight the new holder.
    throw ApplicationFailure.nonRetryable(`lease on ${resource} with token ${input.leaseToken} is no longer ours`, 'HS_REFUSED');
  }

  const idempotencyKey = `${input.incidentId}@${input.runId}:execute:${input.action}:${input.attempt}`;
  const recorded = await deps.kb.recordActuation({
    idempotencyKey,
    incidentId: input.incidentId,
    step: 'execute',
    attempt: input.attempt,
    action: input.action,
    resource,
  });
  if (recorded.alreadyRecorded && recorded.actuation.status === 'done') {
    const r = recorded.actuation.result as Omit<ExecuteResult, 'shadow' | 'alreadyApplied'> | undefined;
    return { summary: r?.summary ?? `${input.action} already applied`, impact: r?.impact ?? {}, alreadyApplied: true, shadow: false };
  }

  const activity = Context.current();
  const ctx = {
    ...templateContext(input, `execute:${input.action}`),
    idempotencyKey,
    params: input.params ?? {},
    heartbeat: (details?: unknown) => activity.heartbeat(details),
    resumeFrom: activity.info.heartbeatDetails,
  };
  const result = await template.execute(ctx, deps.templateDeps);
  await deps.kb.completeActuation(idempotencyKey, { summary: result.summary, impact: result.impact });
  if (!isAlwaysAllowed(input.action)) {
    await recordExecutedAction(deps.kb, { incidentId: input.incidentId, pipeline: input.pipeline, component: input.target, action: input.action, now: Date.now() });
  }
  await deps.kb.appendAudit({
    actor: deps.actor ?? 'homeostat-worker',
    action: `execute.${input.action}`,
    subject: input.incidentId,
    detail: { resource, attempt: input.attempt, summary: result.summary, impact: result.impact, leaseToken: input.leaseToken ?? null },
  });
  return { ...result, shadow: false };
}

export async function releaseLease(deps: IncidentDeps, input: { incidentId: string; pipeline: string; target: string; leaseToken?: number }): Promise<void> {
  if (input.leaseToken === undefined) return;
  await deps.kb.releaseLease({ resource: resourceOf(input.pipeline, input.target), holder: input.incidentId, token: input.leaseToken });
}
