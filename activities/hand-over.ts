/**
 * Hand-over: an incident whose root cause lies upstream passes its evidence to the incident of
 * the root-cause component — starting that incident when none is running (signal-with-start on
 * the same workflow id the sentinel uses, so it can never make a second one) — and then closes.
 * One fault, one incident that acts; the downstream symptom is recorded as evidence there.
 */
import { Context } from '@temporalio/activity';
import { evidenceSignal, incidentWorkflowId, INCIDENT_WORKFLOW_TYPE, type Evidence } from '../workflows/shared';
import type { HandOverInput, HandOverResult } from './contracts';

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
