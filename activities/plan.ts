/**
 * Plan: evaluate every rung's preconditions, then let the knowledge base's decision glue run the
 * policy engine and the safety layer (which walks the engine's order to the first action it does
 * not deny; escalate always passes). An unknown pipeline goes straight to a human.
 */
import { Context } from '@temporalio/activity';
import { decide } from '../knowledge/decide';
import { trustSnapshot } from '../policies/keys';
import type { Precondition } from '../policies/engine';
import { findPipeline, repairLadder } from '../policies/lookup';
import type { RepairAction } from '../policies/taxonomy';
import type { PlanInput, PlanResult } from './contracts';
import type { IncidentDeps } from './deps';
import type { RepairContext } from './templates/template';

export function templateContext(
  input: { incidentId: string; pipeline: string; target: string; faultClass: string; attempt: number },
  step: string,
): RepairContext {
  return {
    incidentId: input.incidentId,
    pipeline: input.pipeline,
    target: input.target,
    faultClass: input.faultClass,
    attempt: input.attempt,
    idempotencyKey: `${input.incidentId}:${step}:${input.attempt}`,
    params: {},
    heartbeat: () => undefined,
  };
}

export async function evaluatePreconditions(
  deps: IncidentDeps,
  input: { incidentId: string; pipeline: string; component: string; faultClass: string; attempt: number },
  actions: readonly RepairAction[],
): Promise<Partial<Record<RepairAction, Precondition>>> {
  const out: Partial<Record<RepairAction, Precondition>> = {};
  for (const action of actions) {
    const template = deps.templates[action];
    if (!template) {
      out[action] = { holds: false, reason: `no repair template for ${action} on this worker` };
      continue;
    }
    try {
      const results = await template.preconditions(templateContext({ ...input, target: input.component }, `precheck:${action}`), deps.templateDeps);
      const failed = results.filter((r) => !r.holds);
      out[action] = failed.length === 0 ? { holds: true } : { holds: false, reason: failed.map((r) => `${r.name}: ${r.reason}`).join('; ') };
    } catch (err) {
      out[action] = { holds: false, reason: `precondition check failed: ${(err as Error).message}` };
    }
  }
  return out;
}

/**
 * What seeds exploration: the workflow run asking for the plan. The incident id repeats (one
 * workflow id per component), so seeding from it would explore the same way every time; a retry
 * of this activity runs in the same run and so plans the same. Outside an activity (tests,
 * tools): the incident id.
 */
function runSeed(incidentId: string): string {
  let runId: string | undefined;
  try {
    runId = Context.current().info.workflowExecution?.runId;
  } catch {
    // Not inside an activity.
  }
  return runId ? `${incidentId}@${runId}` : incidentId;
}

export async function plan(deps: IncidentDeps, input: PlanInput): Promise<PlanResult> {
  const policy = deps.policy();
  const pipeline = findPipeline(policy, input.pipeline);
  const { faultClass, severity, layer } = input.diagnosis;
  if (!pipeline) {
    return {
      plan: {
        planId: `${input.incidentId}#${input.attempt}:escalate`,
        action: 'escalate',
        target: input.component,
        requiresApproval: false,
        reasons: [`pipeline ${input.pipeline} is not described in the policy: a human decides`],
        alternatives: [],
      },
      verdict: 'allow',
      mode: 'active',
      approvers: [],
      approvalTimeoutMs: 0,
      settleMs: 0,
      probes: [],
      maxAttempts: 1,
    };
  }
  const preconditions = await evaluatePreconditions(
    deps,
    { ...input, faultClass },
    repairLadder(pipeline, faultClass).filter((a) => !input.exclude.includes(a)),
  );
  const d = await decide(deps.kb, policy, {
    incidentId: input.incidentId,
    pipeline: input.pipeline,
    component: input.component,
    faultClass,
    severity,
    ...(layer !== 'unknown' ? { layer } : {}),
    attempt: input.attempt,
    exclude: input.exclude,
    // A source that may not open acting incidents makes the incident shadow, like a starter can.
    ...(input.diagnosis.shadowOnly ? { requestedMode: 'shadow' as const } : input.requestedMode ? { requestedMode: input.requestedMode } : {}),
    ...(input.forceApproval ? { forceApproval: true } : {}),
    preconditions,
    ...(deps.health ? { health: await deps.health(input.pipeline) } : {}),
    now: (deps.now ?? (() => new Date()))().getTime(),
    ...(deps.settleMs !== undefined ? { settleMs: deps.settleMs } : {}),
    ...(deps.drill ? { drill: true } : {}),
    seedKey: runSeed(input.incidentId),
  });
  return {
    plan: d.summary,
    verdict: d.safety.verdict,
    mode: d.mode,
    approvers: d.approvers,
    approvalTimeoutMs: d.approvalTimeoutMs,
    settleMs: deps.settleMs ?? d.settleMs,
    verification: d.verification,
    probes: deps.templates[d.summary.action]?.probes ?? [],
    maxAttempts: d.maxAttempts,
    trust: trustSnapshot(policy, input.pipeline, d.approvers),
    ...(d.overridden.length > 0 || input.diagnosis.shadowOnly ? { overridden: [...(input.diagnosis.shadowOnly ? [input.diagnosis.shadowOnly] : []), ...d.overridden] } : {}),
  };
}
