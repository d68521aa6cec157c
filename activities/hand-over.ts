/**
 * Hand-over: an incident whose root cause lies upstream passes its evidence to the incident of
 * the root-cause component — starting that incident when none is running (signal-with-start on
 * the same workflow id the sentinel uses, so it can never make a second one) — and then closes.
 * One fault, one incident that acts; the downstream symptom is recorded as evidence there. A root
 * incident that has just healed is not started again (`COVERED_BY_HEAL_MS`).
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { evidenceSignal, incidentWorkflowId, INCIDENT_WORKFLOW_TYPE, type Evidence, type IncidentState } from '../workflows/shared';
import type { HandOverInput, HandOverResult } from './contracts';

/**
 * A root incident that closed healed this recently already repaired the fault whose downstream
 * symptom is being handed over: starting it again would be a second repair of a repaired fault
 * (the demo's score was scaled out after its verified restart this way, seconds after the heal).
 * A symptom that outlives this window is handed over as usual and starts a new root incident.
 */
export const COVERED_BY_HEAL_MS = 20_000;

/** When the root's latest run closed healed within `COVERED_BY_HEAL_MS`: its close time. */
async function healedJustNow(client: Client, workflowId: string, now: number): Promise<string | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  let closeTime: Date | undefined;
  try {
    const d = await handle.describe();
    if (d.status.name !== 'COMPLETED' || !d.closeTime) return undefined;
    closeTime = d.closeTime;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  if (now - closeTime.getTime() > COVERED_BY_HEAL_MS) return undefined;
  const state = (await handle.result()) as IncidentState;
  return state.outcome === 'healed' ? closeTime.toISOString() : undefined;
}

export async function handOver(input: HandOverInput): Promise<HandOverResult> {
  const ctx = Context.current();
  const to = incidentWorkflowId(input.pipeline, input.to);
  const at = new Date().toISOString();
  const note: Evidence = {
    at,
    source: `incident ${input.incidentId}`,
    summary: `handed over from ${input.from}: ${input.faultClass} seen downstream, root cause upstream at ${input.to}`,
    component: input.from,
    ...(input.faultClass !== 'unknown' ? { faultHint: input.faultClass } : {}),
  };
  // The receiving incident sees this incident's own evidence too (newest last), then the note.
  const forwarded = [...input.evidence.slice(-5), note];
  const healedAt = await healedJustNow(ctx.client, to, Date.now());
  if (healedAt) return { incidentId: to, coveredByHealAt: healedAt };
  await ctx.client.workflow.signalWithStart(INCIDENT_WORKFLOW_TYPE, {
    workflowId: to,
    taskQueue: ctx.info.taskQueue,
    args: [
      {
        pipeline: input.pipeline,
        component: input.to,
        trigger: { kind: 'hand-over', detail: note.summary, at },
        evidence: forwarded.slice(0, -1),
        ...(input.faultClass !== 'unknown' ? { faultClass: input.faultClass } : {}),
        ...(input.timing ? { timing: input.timing } : {}),
      },
    ],
    signal: evidenceSignal,
    signalArgs: [note],
  });
  return { incidentId: to };
}
