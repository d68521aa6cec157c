/**
 * Builds the incident activities from injected dependencies (policy, knowledge base,
 * bindings), so the worker chooses real or local bindings at start-up and tests swap them.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { HomeostatError } from '../common/errors';
import { layerOf, type RepairAction, type Severity } from '../policies/taxonomy';
import type { IncidentActivities, PlanResult } from './contracts';
import { escalateTemplate, type EscalateDeps } from './templates/escalate';
import { logAndWait } from './templates/log-and-wait';
import type { RepairTemplate } from './templates/template';

export interface ActivityDeps extends EscalateDeps {
  /** Identities allowed to approve plans. */
  approvers: string[];
  settleMs: number;
  approvalTimeoutMs: number;
  now?: () => Date;
}

type AnyTemplate = RepairTemplate<ActivityDeps>;

const TEMPLATES: Partial<Record<RepairAction, AnyTemplate>> = {
  'log-and-wait': logAndWait,
  escalate: escalateTemplate,
};

export function createActivities(deps: ActivityDeps): IncidentActivities {
  const now = deps.now ?? (() => new Date());
  return {
    async diagnose(input) {
      const faultClass = input.faultHint ?? input.evidence.find((e) => e.faultHint)?.faultHint ?? 'unknown';
      const severity: Severity = input.severityHint ?? (input.evidence.some((e) => e.hardFault) ? 'high' : 'medium');
      return {
        faultClass,
        layer: faultClass === 'unknown' ? 'unknown' : (layerOf(faultClass) ?? 'unknown'),
        severity,
        rootCauses: [],
        similarCases: [],
        summary: `classified from ${input.evidence.length} evidence record(s)`,
        sensitivity: [],
      };
    },

    async plan(input): Promise<PlanResult> {
      const action: RepairAction = 'log-and-wait';
      const requiresApproval = input.forceApproval === true || input.diagnosis.severity === 'critical';
      const expiresAt = requiresApproval ? new Date(now().getTime() + deps.approvalTimeoutMs).toISOString() : undefined;
      return {
        plan: {
          planId: `${input.incidentId}#${input.attempt}`,
          action,
          target: input.component,
          requiresApproval,
          reasons: [requiresApproval ? 'approval required' : 'low-risk action'],
          expiresAt,
          alternatives: [{ action: 'escalate', score: 1 }],
        },
        verdict: requiresApproval ? 'require-approval' : 'allow',
        mode: input.requestedMode ?? 'active',
        approvers: deps.approvers,
        approvalTimeoutMs: deps.approvalTimeoutMs,
        settleMs: deps.settleMs,
        probes: logAndWait.probes,
        maxAttempts: 3,
      };
    },

    async revalidate() {
      return { verdict: 'allow', reasons: [] };
    },

    async execute(input) {
      const template = TEMPLATES[input.action];
      if (!template) {
        throw ApplicationFailure.nonRetryable(`no repair template for ${input.action}`, 'HS_INVALID_INPUT');
      }
      if (input.mode === 'shadow') {
        return { summary: `would run ${input.action} on ${input.target}`, impact: {}, alreadyApplied: false, shadow: true };
      }
      const ctx = Context.current();
      const r = await template.execute(
        {
          incidentId: input.incidentId,
          pipeline: input.pipeline,
          target: input.target,
          faultClass: input.faultClass,
          attempt: input.attempt,
          idempotencyKey: `${input.incidentId}/execute/${input.attempt}`,
          params: input.params ?? {},
          heartbeat: (d) => ctx.heartbeat(d),
          resumeFrom: ctx.info.heartbeatDetails,
        },
        deps,
      );
      return { ...r, shadow: false };
    },

    async releaseLease() {},

    async verify(input) {
      return {
        result: 'pass',
        probes: input.probes.map((name) => ({ name, result: 'pass' as const, detail: 'no probe binding configured' })),
      };
    },

    async escalate(input) {
      const r = await escalateTemplate.execute(
        {
          incidentId: input.incidentId,
          pipeline: input.pipeline,
          target: input.component,
          faultClass: 'n/a',
          attempt: 1,
          idempotencyKey: `${input.incidentId}/escalate`,
          params: { reason: input.reason, explanation: input.explanation },
          heartbeat: () => undefined,
        },
        deps,
      );
      return { delivered: r.impact.delivered === true, detail: r.summary };
    },

    async learn() {},

    async audit() {},
  };
}

export { HomeostatError };
