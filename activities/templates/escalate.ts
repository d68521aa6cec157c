import { postJson } from '../webhook';
import type { RepairResult, RepairTemplate } from './template';

export interface EscalateDeps {
  /** Where escalations are POSTed (a pager, chat or ticketing webhook); unset → logged only. */
  escalationWebhookUrl?: string;
}

/**
 * Hands the incident to a human: POSTs the incident and its explanation so far to the
 * configured webhook. Idempotent for the receiver through the idempotency key in the body.
 */
export const escalateTemplate: RepairTemplate<EscalateDeps> = {
  action: 'escalate',
  description: 'hand the incident to a human through the escalation webhook',
  async preconditions() {
    return [{ name: 'always', holds: true, reason: 'a human can always be asked' }];
  },
  async execute(ctx, deps): Promise<RepairResult> {
    const body = {
      type: 'homeostat.escalation',
      idempotencyKey: ctx.idempotencyKey,
      incidentId: ctx.incidentId,
      pipeline: ctx.pipeline,
      component: ctx.target,
      faultClass: ctx.faultClass,
      ...ctx.params,
    };
    if (!deps.escalationWebhookUrl) {
      return { summary: 'escalated (no webhook configured: logged only)', impact: { delivered: false }, alreadyApplied: false };
    }
    const delivery = await postJson(deps.escalationWebhookUrl, body);
    return { summary: delivery.detail, impact: { delivered: true, status: delivery.status ?? 0 }, alreadyApplied: false };
  },
  probes: [],
};
