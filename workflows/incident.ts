/**
 * The incident workflow: one durable run per incident on `incident/<pipeline>/<component>`,
 * stepping detect → diagnose → plan → (approve) → execute → verify → learn, and climbing the
 * repair ladder (plan again without the rungs tried) while verification fails. Each stage is a
 * function over the incident's explicit state (incident-state.ts) in workflows/stages/.
 *
 * Deterministic code only: activities are imported as types, time comes from the workflow
 * clock, and every change to the logic after histories were recorded is guarded by patched()
 * (patches.ts).
 */
import { openIncident } from './incident-state';
import type { IncidentInput, IncidentState } from './shared';
import { escalateToHuman, finish } from './stages/close';
import { detect, diagnose } from './stages/detect-diagnose';
import { execute, MAX_LADDER_ATTEMPTS, verify, type Turn } from './stages/execute-verify';
import { approve, handToHumanIfPlanned, plan } from './stages/plan-approve';

export * from './patches';

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  const inc = openIncident(input);
  const closedEarly = (await detect(inc)) ?? (await diagnose(inc));
  if (closedEarly) return closedEarly;

  while (inc.rec.ladderTried.length < MAX_LADDER_ATTEMPTS) {
    if (inc.abortedBy) return finish(inc, 'aborted', `aborted by ${inc.abortedBy}`);
    const attempt = inc.rec.ladderTried.length + 1;
    const chosen = await plan(inc, attempt);
    const stopped = (await handToHumanIfPlanned(inc, chosen)) ?? (await approve(inc, chosen));
    if (stopped) return stopped;
    const executed = await execute(inc, chosen, attempt);
    const turn: Turn = isTurn(executed) ? executed : await verify(inc, chosen, executed);
    if (turn === 'ladder-done') break;
    if (turn !== 'again') return turn;
  }
  return escalateToHuman(inc, `escalation ladder exhausted after ${inc.rec.ladderTried.join(', ')}`);
}

function isTurn(x: Awaited<ReturnType<typeof execute>>): x is Turn {
  return typeof x === 'string' || 'outcome' in x;
}
