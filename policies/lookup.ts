/**
 * Questions the workflow asks of a loaded policy: which pipeline, which repairs, which mode,
 * who may approve. Pure: safe to import from workflow code.
 */
import type { ApprovalRule, ComponentPolicy, PipelinePolicy, PolicyConfig } from './schema';
import { ACTION_RISK, SEVERITIES, UNKNOWN_FAULT, type FaultClass, type Mode, type RepairAction, type Severity } from './taxonomy';

/** Always allowed, whatever the policy: asking a human and waiting never make things worse. */
export const ALWAYS_ALLOWED: readonly RepairAction[] = ['escalate', 'log-and-wait'];

export function isAlwaysAllowed(action: RepairAction): boolean {
  return ALWAYS_ALLOWED.includes(action);
}

export function findPipeline(policy: PolicyConfig, name: string): PipelinePolicy | undefined {
  return policy.pipelines.find((p) => p.name === name);
}

export function findComponent(pipeline: PipelinePolicy, name: string): ComponentPolicy | undefined {
  return pipeline.components.find((c) => c.name === name);
}

/**
 * The escalation ladder for a fault class: the policy's ordered repairs, always ending with
 * `escalate` so the last rung is a human.
 */
export function repairLadder(pipeline: PipelinePolicy, fault: FaultClass | typeof UNKNOWN_FAULT): RepairAction[] {
  const listed = fault === UNKNOWN_FAULT ? [] : (pipeline.repairs[fault] ?? []);
  const ladder = [...new Set(listed)];
  if (!ladder.includes('escalate')) ladder.push('escalate');
  return ladder;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/**
 * The mode for a pipeline + fault class. A fault-class override in the policy is a human pin and
 * wins; otherwise a mode learnt by promotion (stored in the knowledge base) wins over the
 * pipeline's default.
 */
export function effectiveMode(pipeline: PipelinePolicy, fault: FaultClass | typeof UNKNOWN_FAULT, learned?: Mode): Mode {
  if (fault !== UNKNOWN_FAULT) {
    const pinned = pipeline.modeOverrides[fault];
    if (pinned) return pinned;
  }
  if (learned && pipeline.promotion.enabled) return learned;
  return pipeline.mode;
}

export interface ApprovalMatch {
  rule: ApprovalRule;
  /** Human-readable reason, e.g. `rule "sensitive-data": component enrich is tagged PHI`. */
  reason: string;
  roles: string[];
}

export interface ApprovalQuery {
  action: RepairAction;
  fault: FaultClass | typeof UNKNOWN_FAULT;
  severity: Severity;
  /** Sensitivity tags of the target component. */
  tags: readonly string[];
}

/** Every approval rule of the pipeline that catches this action; empty when none do. */
export function matchApprovalRules(pipeline: PipelinePolicy, q: ApprovalQuery): ApprovalMatch[] {
  const out: ApprovalMatch[] = [];
  pipeline.approval.rules.forEach((rule, i) => {
    const why: string[] = [];
    if (rule.minSeverity !== undefined) {
      if (severityRank(q.severity) < severityRank(rule.minSeverity)) return;
      why.push(`severity ${q.severity} ≥ ${rule.minSeverity}`);
    }
    if (rule.minRisk !== undefined) {
      if (ACTION_RISK[q.action] < rule.minRisk) return;
      why.push(`risk of ${q.action} (${ACTION_RISK[q.action]}) ≥ ${rule.minRisk}`);
    }
    if (rule.sensitivity !== undefined) {
      const hit = rule.sensitivity.filter((t) => q.tags.includes(t));
      if (hit.length === 0) return;
      why.push(`component tagged ${hit.join(', ')}`);
    }
    if (rule.actions !== undefined) {
      if (!rule.actions.includes(q.action)) return;
      why.push(`action ${q.action}`);
    }
    if (rule.faultClasses !== undefined) {
      if (q.fault === UNKNOWN_FAULT || !rule.faultClasses.includes(q.fault)) return;
      why.push(`fault ${q.fault}`);
    }
    const label = rule.name ?? `#${i}`;
    out.push({
      rule,
      reason: `approval rule "${label}": ${why.length > 0 ? why.join('; ') : 'always'}`,
      roles: rule.roles ?? pipeline.approval.approverRoles,
    });
  });
  return out;
}

export type Authorisation = { ok: true; roles: string[] } | { ok: false; reason: string };

/**
 * May `identity` approve on `pipeline`? It must be a listed approver, cover the pipeline, and
 * hold one of `requiredRoles` (default: the pipeline's approverRoles).
 */
export function authoriseApprover(
  policy: PolicyConfig,
  pipelineName: string,
  identity: string,
  requiredRoles?: readonly string[],
): Authorisation {
  const pipeline = findPipeline(policy, pipelineName);
  if (!pipeline) return { ok: false, reason: `unknown pipeline "${pipelineName}"` };
  const approver = policy.approvers.find((a) => a.identity === identity);
  if (!approver) return { ok: false, reason: `"${identity}" is not a listed approver` };
  if (!approver.pipelines.includes('*') && !approver.pipelines.includes(pipelineName)) {
    return { ok: false, reason: `"${identity}" may not approve for pipeline "${pipelineName}"` };
  }
  const roles = requiredRoles && requiredRoles.length > 0 ? requiredRoles : pipeline.approval.approverRoles;
  const held = approver.roles.filter((r) => roles.includes(r));
  if (held.length === 0) {
    return { ok: false, reason: `"${identity}" holds none of the roles required here (${roles.join(', ')})` };
  }
  return { ok: true, roles: held };
}

/** Identities that may approve on `pipeline` holding one of `roles` (default: the pipeline's approverRoles). */
export function approversFor(policy: PolicyConfig, pipelineName: string, roles?: readonly string[]): string[] {
  return policy.approvers
    .filter((a) => authoriseApprover(policy, pipelineName, a.identity, roles).ok)
    .map((a) => a.identity)
    .sort();
}
