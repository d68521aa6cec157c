/**
 * Builds the incident activities from injected dependencies (policy, knowledge base, templates,
 * probes), so the worker chooses real bindings at start-up and tests choose theirs.
 */
import { expireSilences, silenceDuringRepair, withAlertEvidence, withSilenceNote } from './alert-silences';
import type { IncidentActivities } from './contracts';
import type { IncidentDeps } from './deps';
import { diagnose } from './diagnose';
import { execute, releaseLease, revalidate } from './execute';
import { handOver } from './hand-over';
import { learn } from './learn';
import { plan, templateContext } from './plan';
import { escalateTemplate } from './templates/escalate';
import { verify } from './verify';

export type { IncidentDeps };

export function createActivities(deps: IncidentDeps): IncidentActivities {
  return {
    diagnose: (input) => diagnose(deps, input),
    plan: (input) => plan(deps, input),
    revalidate: (input) => revalidate(deps, input),
    // An Alertmanager silence covers the component while its repair runs (see alert-silences.ts).
    execute: async (input) => {
      const note = await silenceDuringRepair(deps, input);
      return withSilenceNote(await execute(deps, input), note);
    },
    releaseLease: (input) => releaseLease(deps, input),
    verify: async (input) => withAlertEvidence(deps, input, await verify(deps, input)),
    learn: async (input) => {
      await learn(deps, input);
      await expireSilences(deps, { ...input, targets: input.plan?.target ? [input.plan.target] : [] });
    },
    handOver: (input) => handOver(input),

    async escalate(input) {
      const ctx = {
        ...templateContext({ ...input, target: input.component, faultClass: 'n/a', attempt: 1 }, 'escalate'),
        params: { reason: input.reason, explanation: input.explanation },
      };
      const r = await escalateTemplate.execute(ctx, deps.templateDeps);
      await deps.kb.appendAudit({
        actor: deps.actor ?? 'homeostat-worker',
        action: 'incident.escalated',
        subject: input.incidentId,
        detail: { reason: input.reason, delivery: r.summary },
      });
      return { delivered: r.impact.delivered === true, detail: r.summary };
    },

    async audit(input) {
      await deps.kb.appendAudit(input);
    },
  };
}
