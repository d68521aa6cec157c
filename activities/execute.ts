/**
 * Re-validate and execute. Right before acting, preconditions and safety are checked again and
 * the remediation lease on the target is taken; execute refuses to act without that lease
 * (whatever the approval state) and hands its fence to the template, whose steps and bindings
 * check it before they change anything.
 *
 * Exactly once under retries and crashes: the actuator log is keyed by incident run, action and
 * attempt (`<incident>@<first run id>:execute:<action>:<attempt>`), templates pass the same key
 * to every side effect, and the effect's completion, the action history row (what cooldown,
 * rate-limit and loop rules count) and the audit row land in ONE knowledge-base transaction. A
 * retry that finds the transaction committed returns the recorded result; one that finds it
 * missing runs the template again, which skips what it already did. A repair that throws is
 * counted too, once per key, with its own audit row.
 */
import { Context } from '@temporalio/activity';
import type { Fence } from '../bindings/fence';
import { HomeostatError, isHomeostatError } from '../common/errors';
import { recordExecutedAction, revalidate as revalidateSafety } from '../knowledge/decide';
import type { KnowledgeBase } from '../knowledge/types';
import { isAlwaysAllowed } from '../policies/lookup';
import { resourceOf } from '../policies/safety';
import type { FaultClass, UNKNOWN_FAULT } from '../policies/taxonomy';
import type { ExecuteInput, ExecuteResult, ReleaseLeaseInput, RevalidateInput, RevalidateResult } from './contracts';
import { DEFAULT_LEASE_TTL_MS, type ExecutePoint, type IncidentDeps } from './deps';
import { keepAlive } from './keep-alive';
import { templateContext } from './plan';
import { RepairFailedError } from './templates/compensation';

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

/** The actuator-log key of one execute attempt: unique per incident run, action and ladder attempt. */
export function executionKey(input: Pick<ExecuteInput, 'incidentId' | 'runId' | 'action' | 'attempt'>): string {
  return `${input.incidentId}@${input.runId}:execute:${input.action}:${input.attempt}`;
}

/** The fence of the lease this execution holds; a repair that changes something may not run without one. */
async function requireFence(kb: KnowledgeBase, input: ExecuteInput, resource: string): Promise<Fence | undefined> {
  if (input.leaseToken === undefined) {
    // log-and-wait changes nothing, so it needs no lease (and re-validation hands out none).
    if (isAlwaysAllowed(input.action)) return undefined;
    throw new HomeostatError('HS_REFUSED', `${input.action} on ${resource} refused: no remediation lease was granted (re-validation did not allow it)`);
  }
  const fence: Fence = {
    resource,
    token: input.leaseToken,
    async assert() {
      if (!(await kb.checkFence(resource, input.leaseToken as number))) {
        // Our lease was taken over (it expired while we were down): acting now could fight the new holder.
        throw new HomeostatError('HS_REFUSED', `lease on ${resource} with token ${input.leaseToken} is no longer held by ${input.incidentId}`);
      }
    },
  };
  await fence.assert();
  return fence;
}

export async function execute(deps: IncidentDeps, input: ExecuteInput): Promise<ExecuteResult> {
  const template = deps.templates[input.action];
  if (!template) throw new HomeostatError('HS_INVALID_INPUT', `no repair template for ${input.action} on this worker`);
  const resource = resourceOf(input.pipeline, input.target);
  if (input.mode === 'shadow') {
    return { summary: `shadow mode: would run ${input.action} on ${input.target}`, impact: { wouldDo: input.action }, alreadyApplied: false, shadow: true };
  }
  const fault = async (point: ExecutePoint): Promise<void> => {
    await deps.faultHook?.(point, input);
  };
  const fence = await requireFence(deps.kb, input, resource);
  const idempotencyKey = executionKey(input);

  await fault('before-record');
  const recorded = await deps.kb.recordActuation({ idempotencyKey, incidentId: input.incidentId, step: 'execute', attempt: input.attempt, action: input.action, resource });
  if (recorded.alreadyRecorded && recorded.actuation.status === 'done') {
    // Done means committed: the history and audit rows landed with it.
    const r = recorded.actuation.result as Omit<ExecuteResult, 'shadow' | 'alreadyApplied'> | undefined;
    return { summary: r?.summary ?? `${input.action} already applied`, impact: r?.impact ?? {}, alreadyApplied: true, shadow: false };
  }
  await fault('after-record');

  const activity = Context.current();
  const ttlMs = deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const alive = keepAlive(activity, deps.kb, fence ? { resource, holder: input.incidentId, token: fence.token, ttlMs } : undefined, (reason) =>
    activity.log.warn(reason),
  );
  const ctx = {
    ...templateContext(input, `execute:${input.action}`),
    idempotencyKey,
    heartbeat: alive.beat,
    resumeFrom: activity.info.heartbeatDetails,
    resultRecordedByCaller: true,
    ...(fence ? { fence } : {}),
    ...(input.anomalySince !== undefined ? { anomalySince: input.anomalySince } : {}),
  };
  const actor = deps.actor ?? 'homeostat-worker';
  let result;
  try {
    result = await template.execute(ctx, deps.templateDeps);
  } catch (err) {
    await countFailedRepair(deps, input, resource, idempotencyKey, err).catch((countErr: unknown) =>
      activity.log.warn('could not record the failed repair', { idempotencyKey, error: String(countErr) }),
    );
    throw err;
  } finally {
    alive.stop();
  }
  await fault('after-effect');

  await deps.kb.transaction(async (tx) => {
    // A retry after a crash inside this transaction finds nothing of it; one after the commit finds it all.
    if ((await tx.getActuation(idempotencyKey))?.status === 'done') return;
    await tx.completeActuation(idempotencyKey, { summary: result.summary, impact: result.impact });
    await fault('in-commit');
    if (!isAlwaysAllowed(input.action)) {
      await recordExecutedAction(tx, { incidentId: input.incidentId, pipeline: input.pipeline, component: input.target, action: input.action, now: Date.now(), idempotencyKey });
      // A repair that moved other workloads too (a drain) is a remediation on each of them.
      for (const component of new Set(result.touched ?? [])) {
        if (component === input.target) continue;
        await recordExecutedAction(tx, { incidentId: input.incidentId, pipeline: input.pipeline, component, action: input.action, now: Date.now(), idempotencyKey: `${idempotencyKey}#${component}` });
      }
    }
    await tx.appendAudit({
      actor,
      action: `execute.${input.action}`,
      subject: input.incidentId,
      detail: { resource, attempt: input.attempt, idempotencyKey, summary: result.summary, impact: result.impact, ...(result.touched?.length ? { touched: result.touched } : {}), leaseToken: fence?.token ?? null, policyVersion: deps.policyVersion ?? null },
    });
  });
  await fault('after-commit');
  return { ...result, shadow: false };
}

/** A repair that threw still counts for cooldown, rate-limit and loop rules: once per key, with its audit row. */
async function countFailedRepair(deps: IncidentDeps, input: ExecuteInput, resource: string, idempotencyKey: string, err: unknown): Promise<void> {
  if (isAlwaysAllowed(input.action)) return;
  await deps.kb.transaction(async (tx) => {
    const counted = await recordExecutedAction(tx, { incidentId: input.incidentId, pipeline: input.pipeline, component: input.target, action: input.action, now: Date.now(), idempotencyKey });
    if (!counted) return;
    await tx.appendAudit({
      actor: deps.actor ?? 'homeostat-worker',
      action: `execute.${input.action}.failed`,
      subject: input.incidentId,
      detail: {
        resource,
        attempt: input.attempt,
        idempotencyKey,
        code: isHomeostatError(err) ? err.code : 'HS_INTERNAL',
        error: err instanceof Error ? err.message : String(err),
        ...(err instanceof RepairFailedError ? { compensation: err.compensation } : {}),
        leaseToken: input.leaseToken ?? null,
      },
    });
  });
}

export async function releaseLease(deps: IncidentDeps, input: ReleaseLeaseInput): Promise<void> {
  if (input.leaseToken === undefined) return;
  await deps.kb.releaseLease({ resource: resourceOf(input.pipeline, input.target), holder: input.incidentId, token: input.leaseToken });
}
