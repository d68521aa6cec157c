/**
 * Builds the incident activities from injected dependencies (policy, knowledge base, templates,
 * probes), so the worker chooses real bindings at start-up and tests choose theirs. Every error
 * they throw crosses the boundary with its catalogue code as type (failures.ts).
 */
import { expireSilences, silenceDuringRepair, withAlertEvidence, withSilenceNote } from './alert-silences';
import type { IncidentActivities } from './contracts';
import type { IncidentDeps, ProbeRequest } from './deps';
import { diagnose } from './diagnose';
import { escalate } from './escalate';
import { execute, releaseLease, revalidate } from './execute';
import { withErrorTypes } from './failures';
import { handOver } from './hand-over';
import { learn } from './learn';
import { plan } from './plan';
import { componentsToRearm } from './repair-scope';
import { verify, verifyUntilStable } from './verify';

export type { IncidentDeps };

/** Never fails the activity: the heal stands whether or not the sentinel could be told. */
async function announceRepair(deps: IncidentDeps, req: ProbeRequest): Promise<void> {
  try {
    await deps.announceRepair?.(req);
  } catch {
    // The sentinel is unreachable or refused: it keeps its pre-repair state, as before this call existed.
  }
}

export function createActivities(deps: IncidentDeps): IncidentActivities {
  return withErrorTypes<IncidentActivities>({
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
    verifyUntilStable: (input) => verifyUntilStable(input, async (round) => withAlertEvidence(deps, round, await verify(deps, round))),
    learn: async (input) => {
      // A verified heal re-arms the sentinel's view of the component first: learning can take a
      // while, and evidence of the old anomaly must not reopen the incident meanwhile.
      // Downstream components whose symptoms were this fault's are re-armed with it (repair-scope.ts).
      if (input.outcome === 'healed' && input.action) {
        for (const component of componentsToRearm(deps.policy(), input)) {
          await announceRepair(deps, { incidentId: input.incidentId, pipeline: input.pipeline, component, action: input.action });
        }
      }
      await learn(deps, input);
      await expireSilences(deps, { ...input, targets: input.plan?.target ? [input.plan.target] : [] });
    },
    handOver: (input) => handOver(input),
    escalate: (input) => escalate(deps, input),
  });
}
