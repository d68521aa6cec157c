/**
 * The scorecard's flapping rule: a fault healed by an incident that reopens — a new incident on
 * the same component starting within `windowMs` of the heal, not one the drill injected a fault
 * for — was not healed, whatever its verification said. The drill checks every healed fault once
 * its window has passed (waiting for it after the last step).
 */
import type { Client } from '@temporalio/client';
import type { FaultOutcome } from './loop-drill';

/** How soon after a heal a new incident on the same component counts as the old one reopening. */
export const REOPEN_WINDOW_MS = 60_000;

export interface Reopen {
  incidentId: string;
  runId: string;
  startedAt: string;
}

/** Runs of `workflowId` that started in (from, from + windowMs] and are not in `claimed`, earliest first. */
async function runsStartedWithin(client: Client, workflowId: string, from: number, windowMs: number, claimed: ReadonlySet<string>): Promise<Reopen[]> {
  const out: Reopen[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId.replace(/'/g, "\\'")}'` })) {
    const t = w.startTime.getTime();
    if (t > from && t <= from + windowMs && !claimed.has(w.runId)) out.push({ incidentId: w.workflowId, runId: w.runId, startedAt: w.startTime.toISOString() });
  }
  return out.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
}

/**
 * Marks every healed fault whose incident reopened within the window as not verified, with the
 * reopening incident's start. `claimed`: run ids of incidents matched to injected faults.
 */
export async function markReopened(client: Client, faults: FaultOutcome[], claimed: ReadonlySet<string>, windowMs = REOPEN_WINDOW_MS): Promise<void> {
  for (const f of faults) {
    if (!f.verified || !f.incidentId || !f.healedAt) continue;
    const [first] = await runsStartedWithin(client, f.incidentId, Date.parse(f.healedAt), windowMs, claimed);
    if (!first) continue;
    f.reopenedAt = first.startedAt;
    f.verified = false;
  }
}

/** How long until every healed fault's reopen window has passed (0: all have). */
export function reopenWindowLeft(faults: FaultOutcome[], now: number, windowMs = REOPEN_WINDOW_MS): number {
  const ends = faults.filter((f) => f.verified && f.healedAt).map((f) => Date.parse(f.healedAt!) + windowMs - now);
  return Math.max(0, ...ends);
}
