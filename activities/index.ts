/**
 * Builds the incident activities from injected dependencies (policy, knowledge base, templates,
 * probes), so the worker chooses real bindings at start-up and tests choose theirs. Every error
 * they throw crosses the boundary with its catalogue code as type (failures.ts).
 */
import type { IncidentActivities } from './contracts';
import type { IncidentDeps } from './deps';
import { diagnose } from './diagnose';
import { escalate } from './escalate';
import { execute, releaseLease, revalidate } from './execute';
import { withErrorTypes } from './failures';
import { handOver } from './hand-over';
import { learn } from './learn';
import { plan } from './plan';
import { verify } from './verify';

export type { IncidentDeps };

export function createActivities(deps: IncidentDeps): IncidentActivities {
  return withErrorTypes<IncidentActivities>({
    diagnose: (input) => diagnose(deps, input),
    plan: (input) => plan(deps, input),
    revalidate: (input) => revalidate(deps, input),
    execute: (input) => execute(deps, input),
    releaseLease: (input) => releaseLease(deps, input),
    verify: (input) => verify(deps, input),
    learn: (input) => learn(deps, input),
    handOver: (input) => handOver(input),
    escalate: (input) => escalate(deps, input),
  });
}
