/**
 * The scorecard's flapping rule: a fault healed by an incident that reopens — a new incident on
 * the same component starting within `windowMs` of the heal, not one the drill injected a fault
 * for — was not healed, whatever its verification said. The drill checks every healed fault once
 * its window has passed (waiting for it after the last step).
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { evidenceSignal, type Evidence, type IncidentInput } from '../workflows/shared';
import type { FaultOutcome } from './loop-drill';

/** How soon after a heal a new incident on the same component counts as the old one reopening. */
export const REOPEN_WINDOW_MS = 60_000;

export interface Reopen {
  incidentId: string;
  runId: string;
  startedAt: string;
}

/**
 * What opened a run: its trigger and the first evidence signal's summary, detectors and hints —
 * read from the run's own history (its start input and first evidence signal), so a flapping
 * heal says which detector or record kind reopened it.
 */
export async function openedBy(client: Client, workflowId: string, runId: string): Promise<string> {
  try {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    const start = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = start ? defaultPayloadConverter.fromPayload<IncidentInput>(start) : undefined;
    const signal = events.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === evidenceSignal.name)?.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
    const ev = signal ? defaultPayloadConverter.fromPayload<Evidence>(signal) : undefined;
    const parts: string[] = [];
    if (input) parts.push(`${input.trigger.kind}: ${input.trigger.detail}`);
    if (ev) {
      const top = (ev.detectors ?? []).filter((d) => d.score > 0).sort((a, b) => b.score - a.score).slice(0, 4);
      const flags = [ev.hardFault ? 'hard fault' : '', ev.persistent ? 'persistent' : '', ev.faultHint ? `hint ${ev.faultHint}` : ''].filter(Boolean);
      parts.push(`evidence "${ev.summary}"${flags.length ? ` (${flags.join(', ')})` : ''}${top.length ? `; detectors ${top.map((d) => `${d.name}=${d.score.toFixed(2)}`).join(', ')}` : ''}`);
    }
    return parts.join('; ') || 'unknown (no start input)';
  } catch (err) {
    // A codec the drill cannot read, or a history gone: the reopen still counts, only unexplained.
    return `unknown (${(err as Error).message})`;
  }
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
    f.reopenedBy = await openedBy(client, first.incidentId, first.runId);
    f.verified = false;
  }
}

/** How long until every healed fault's reopen window has passed (0: all have). */
export function reopenWindowLeft(faults: FaultOutcome[], now: number, windowMs = REOPEN_WINDOW_MS): number {
  const ends = faults.filter((f) => f.verified && f.healedAt).map((f) => Date.parse(f.healedAt!) + windowMs - now);
  return Math.max(0, ...ends);
}
