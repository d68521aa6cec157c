/**
 * Escalate: hand the incident to a human through the escalation template (the webhook), then
 * record it in the audit log. The idempotency key names the incident run, so a receiver can
 * drop the repeats of one page (retries, redelivery) without dropping the next incident on the
 * same component.
 */
import type { EscalateInput, EscalateResult } from './contracts';
import type { IncidentDeps } from './deps';
import { templateContext } from './plan';
import { escalateTemplate } from './templates/escalate';

export function escalationKey(input: Pick<EscalateInput, 'incidentId' | 'runId'>): string {
  return `${input.incidentId}@${input.runId ?? 'unknown-run'}:escalate`;
}

export async function escalate(deps: IncidentDeps, input: EscalateInput): Promise<EscalateResult> {
  const ctx = {
    ...templateContext({ ...input, target: input.component, faultClass: 'n/a', attempt: 1 }, 'escalate'),
    idempotencyKey: escalationKey(input),
    params: { reason: input.reason, explanation: input.explanation },
  };
  const r = await escalateTemplate.execute(ctx, deps.templateDeps);
  await deps.kb.appendAudit({
    actor: deps.actor ?? 'homeostat-worker',
    action: 'incident.escalated',
    subject: input.incidentId,
    detail: { reason: input.reason, delivery: r.summary, idempotencyKey: ctx.idempotencyKey },
  });
  return { delivered: r.impact.delivered === true, detail: r.summary };
}
