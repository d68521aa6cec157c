/**
 * Glue for the plan and revalidate activities: gathers what the pure engine and safety layer
 * need from the knowledge base, runs them, and lets safety veto or downgrade the engine's choice
 * (the next rung safety does not deny wins; escalate always passes). Works on any KnowledgeBase.
 */
import { HomeostatError } from '../common/errors';
import { planRepair, type Plan, type Precondition } from '../policies/engine';
import { approversFor, effectiveMode, findPipeline, isAlwaysAllowed, repairLadder } from '../policies/lookup';
import { seededRng, seedFrom } from '../common/rng';
import { evaluateSafety, resourceOf, type SafetyContext, type SafetyDecision, type SafetyRequest } from '../policies/safety';
import { verificationSchedule, type VerificationSchedule } from '../policies/verification';
import type { PipelinePolicy, PolicyConfig } from '../policies/schema';
import type { FaultClass, Layer, Mode, RepairAction, Severity, UNKNOWN_FAULT } from '../policies/taxonomy';
import type { PlanSummary } from '../workflows/shared';
import type { ActionRecord, KnowledgeBase, Lease } from './types';

export interface Health {
  /** Fraction of the pipeline's components that are healthy. */
  pipeline: number;
  /** Fraction of every watched component that is healthy. */
  fleet: number;
}

/** Without a health report, assume healthy: the other rules still apply. */
const ASSUME_HEALTHY: Health = { pipeline: 1, fleet: 1 };

export interface DecisionInput {
  incidentId: string;
  pipeline: string;
  component: string;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  severity: Severity;
  layer?: Layer;
  attempt: number;
  exclude: readonly RepairAction[];
  requestedMode?: Mode;
  forceApproval?: boolean;
  drill?: boolean;
  preconditions?: Partial<Record<RepairAction, Precondition>>;
  health?: Health;
  /** Epoch ms. */
  now: number;
  /**
   * Exploration randomness; default seeded from `seedKey` (else the incident id) and the attempt,
   * so a retried plan agrees with itself.
   */
  rng?: () => number;
  /** What seeds exploration: the incident run (workflow ids repeat per component, runs do not). */
  seedKey?: string;
  /** The worker's settle override (demo, tests, Kafka rebalances): the least verification deadline. */
  settleMs?: number;
}

export interface Decision {
  /** The engine's full output (every candidate's scores). */
  engine: Plan;
  /** What the workflow carries: the action after safety, its alternatives and all reasons. */
  summary: PlanSummary;
  safety: SafetyDecision;
  mode: Mode;
  /** Identities that may approve this plan. */
  approvers: string[];
  approvalTimeoutMs: number;
  settleMs: number;
  /** How the chosen action is verified: learned from its past verifications, bounded by the policy. */
  verification: VerificationSchedule;
  maxAttempts: number;
  /** Actions safety vetoed before this one, with why. */
  vetoed: { action: RepairAction; reasons: string[] }[];
  /** What the starter asked for that the policy overrode. */
  overridden: string[];
}

function requirePipeline(policy: PolicyConfig, name: string): PipelinePolicy {
  const p = findPipeline(policy, name);
  if (!p) throw new HomeostatError('HS_NOT_FOUND', `pipeline "${name}" is not in the policy`);
  return p;
}

/** The longest look-back any history rule of the pipeline needs. */
function historyWindow(p: PipelinePolicy): number {
  return Math.max(p.loopDetection.window, p.rateLimit.window, p.cooldown.default, ...Object.values(p.cooldown.perAction).map((v) => v ?? 0));
}

/** Leases, recent history and health: the facts the safety layer judges by. */
export async function safetyContext(kb: KnowledgeBase, policy: PolicyConfig, pipeline: PipelinePolicy, now: number, health?: Health): Promise<SafetyContext> {
  const [leases, history] = await Promise.all([kb.activeLeases(), kb.recentActions({ since: now - historyWindow(pipeline) })]);
  return {
    policy,
    now,
    leases: leases.map((l) => ({ resource: l.resource, pipeline: l.pipeline, holder: l.holder, expiresAt: l.expiresAt })),
    history,
    inFlight: inFlight(leases, history),
    health: health ?? ASSUME_HEALTHY,
  };
}

/** Leases whose holder has not recorded its action on that resource since taking the lease. */
function inFlight(leases: readonly Lease[], history: readonly ActionRecord[]): SafetyContext['inFlight'] {
  return leases
    .filter((l) => !history.some((h) => h.incidentId === l.holder && h.resource === l.resource && h.at >= l.acquiredAt))
    .map((l) => ({ pipeline: l.pipeline, resource: l.resource, holder: l.holder }));
}

/** Every admission, in every worker sharing the knowledge base, runs alone: see `revalidate`. */
export const ADMISSION_SCOPE = 'remediation-admission';

export async function decide(kb: KnowledgeBase, policy: PolicyConfig, input: DecisionInput): Promise<Decision> {
  const pipeline = requirePipeline(policy, input.pipeline);
  const resource = resourceOf(input.pipeline, input.component);
  const known = input.faultClass === 'unknown' ? undefined : input.faultClass;
  const [learned, cases, outcomes, qTable, ctx, pipelineCases] = await Promise.all([
    known ? kb.getMode(input.pipeline, known) : Promise.resolve(undefined),
    known ? kb.pastCases({ faultClass: known }) : Promise.resolve([]),
    // What past attempts measurably did on this fault class: the learned E[C], E[R], SLO figures.
    known ? kb.outcomeSamples({ faultClass: known }) : Promise.resolve([]),
    kb.qTable(),
    safetyContext(kb, policy, pipeline, input.now, input.health),
    // Verification times depend on the action and the pipeline more than on the fault class.
    kb.pastCases({ pipeline: input.pipeline, limit: 200 }),
  ]);
  // Whoever starts an incident can only make it stricter: shadow beats active.
  const policyMode = effectiveMode(pipeline, input.faultClass, learned?.mode);
  const mode: Mode = input.requestedMode === 'shadow' ? 'shadow' : policyMode;
  const overridden = input.requestedMode === 'active' && policyMode === 'shadow' ? ['the starter asked for active mode; the policy says shadow for this fault, and shadow stands'] : [];
  const recentRepairs = ctx.history.filter(
    (h) => h.resource === resource && !isAlwaysAllowed(h.action) && h.at > input.now - pipeline.loopDetection.window,
  ).length;

  const request = (action: RepairAction): SafetyRequest => ({
    incidentId: input.incidentId,
    pipeline: input.pipeline,
    component: input.component,
    resource,
    faultClass: input.faultClass,
    severity: input.severity,
    action,
    ...(input.forceApproval ? { forceApproval: true } : {}),
  });
  // Exploration is bounded by safety: it may pick only what safety allows now without a human.
  const drill = input.drill ?? false;
  const explorable =
    mode === 'shadow' || drill ? repairLadder(pipeline, input.faultClass).filter((a) => evaluateSafety(request(a), ctx).verdict === 'allow') : undefined;

  const engine = planRepair({
    incidentId: input.incidentId,
    attempt: input.attempt,
    pipeline,
    engine: policy.global.engine,
    component: input.component,
    faultClass: input.faultClass,
    severity: input.severity,
    ...(input.layer ? { layer: input.layer } : {}),
    preconditions: input.preconditions ?? {},
    cases,
    outcomes,
    qTable,
    recentRepairs,
    exclude: input.exclude,
    mode,
    drill,
    rng: input.rng ?? seededRng(seedFrom(`${input.seedKey ?? input.incidentId}#${input.attempt}`)),
    ...(explorable ? { explorable } : {}),
  });

  // Safety has the last word: walk the engine's order until a rung is not denied.
  const order = [engine.action, ...engine.alternatives.map((a) => a.action)];
  const vetoed: Decision['vetoed'] = [];
  let chosen: RepairAction = 'escalate';
  let safety: SafetyDecision | undefined;
  for (const action of order) {
    const d = evaluateSafety(request(action), ctx);
    if (d.verdict === 'deny') {
      vetoed.push({ action, reasons: d.reasons });
      continue;
    }
    chosen = action;
    safety = d;
    break;
  }
  // escalate is always allowed, so the loop always ends on a verdict; keep the compiler sure.
  safety ??= { verdict: 'allow', reasons: ['escalate is always allowed'], findings: [], approverRoles: [] };

  const later = order.slice(order.indexOf(chosen) + 1);
  const alternatives = engine.alternatives.filter((a) => later.includes(a.action));
  const requiresApproval = safety.verdict === 'require-approval';
  const reasons = [
    ...engine.reasons,
    ...vetoed.map((v) => `safety vetoed ${v.action}: ${v.reasons.join('; ')}`),
    ...safety.reasons.map((r) => `safety: ${r}`),
  ];
  return {
    engine,
    summary: {
      planId: `${input.incidentId}#${input.attempt}:${chosen}`,
      action: chosen,
      target: input.component,
      requiresApproval,
      reasons,
      ...(requiresApproval ? { expiresAt: new Date(input.now + pipeline.approval.timeout).toISOString() } : {}),
      alternatives,
    },
    safety,
    mode,
    approvers: approversFor(policy, input.pipeline, safety.approverRoles.length > 0 ? safety.approverRoles : undefined),
    approvalTimeoutMs: pipeline.approval.timeout,
    settleMs: pipeline.verification.settle,
    verification: verificationSchedule(pipeline.verification, chosen, pipelineCases, input.settleMs ?? pipeline.verification.settle),
    maxAttempts: pipeline.verification.maxAttempts,
    vetoed,
    overridden,
  };
}

export interface RevalidationInput {
  incidentId: string;
  pipeline: string;
  component: string;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  severity: Severity;
  action: RepairAction;
  approvedBy?: string;
  forceApproval?: boolean;
  mode: Mode;
  health?: Health;
  now: number;
  /** How long the remediation lease lasts before another incident may take it over. */
  leaseTtlMs: number;
}

export interface Revalidation {
  verdict: SafetyDecision['verdict'];
  reasons: string[];
  /** Fencing token of the lease on the target, when the action may run. */
  leaseToken?: number;
}

/**
 * Right before executing (and after any approval wait): re-run safety on fresh facts and, when
 * allowed in active mode, take the remediation lease. Losing the race for the lease is a deny.
 * Check and lease happen in one transaction serialised on ADMISSION_SCOPE: two workers admitting
 * at once would otherwise both read the same counts and together pass a rate limit or a
 * blast-radius limit that only one of them may use.
 */
export async function revalidate(kb: KnowledgeBase, policy: PolicyConfig, input: RevalidationInput): Promise<Revalidation> {
  const pipeline = requirePipeline(policy, input.pipeline);
  return kb.transaction(async (tx) => {
    await tx.serialiseOn(ADMISSION_SCOPE);
    return admit(tx, policy, pipeline, input);
  });
}

async function admit(kb: KnowledgeBase, policy: PolicyConfig, pipeline: PipelinePolicy, input: RevalidationInput): Promise<Revalidation> {
  const ctx = await safetyContext(kb, policy, pipeline, input.now, input.health);
  const resource = resourceOf(input.pipeline, input.component);
  const d = evaluateSafety(
    {
      incidentId: input.incidentId,
      pipeline: input.pipeline,
      component: input.component,
      resource,
      faultClass: input.faultClass,
      severity: input.severity,
      action: input.action,
      ...(input.approvedBy !== undefined ? { approvedBy: input.approvedBy } : {}),
      ...(input.forceApproval ? { forceApproval: true } : {}),
    },
    ctx,
  );
  if (d.verdict !== 'allow' || input.mode === 'shadow' || isAlwaysAllowed(input.action)) return { verdict: d.verdict, reasons: d.reasons };
  const lease = await kb.acquireLease({ resource, pipeline: input.pipeline, holder: input.incidentId, ttlMs: input.leaseTtlMs });
  if (!lease.acquired) {
    return { verdict: 'deny', reasons: [...d.reasons, `lease on ${resource} was taken by incident ${lease.heldBy.holder} meanwhile`] };
  }
  return { verdict: 'allow', reasons: d.reasons, leaseToken: lease.lease.token };
}

/**
 * Call once a repair ran or was attempted (never in shadow mode): feeds cooldowns, rate limits
 * and loop detection. With an idempotency key, a retried attempt counts once; false when it
 * had been counted already.
 */
export async function recordExecutedAction(
  kb: KnowledgeBase,
  input: { incidentId: string; pipeline: string; component: string; action: RepairAction; now: number; idempotencyKey?: string },
): Promise<boolean> {
  return kb.recordAction({
    at: input.now,
    pipeline: input.pipeline,
    resource: resourceOf(input.pipeline, input.component),
    action: input.action,
    incidentId: input.incidentId,
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
  });
}
