/**
 * Where an incident's time went, read from its Temporal history: workflow tasks (queued and
 * running), each activity type (queued and running), and timers. The loop overhead is the
 * end-to-end time minus what is not the loop's: timers and the probes (the verify activity).
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface IncidentTimes {
  startMs: number;
  closeMs: number;
  e2eMs: number;
  timerMs: number;
  probeMs: number;
  overheadMs: number;
  workflowTaskQueueMs: number;
  workflowTaskRunMs: number;
  workflowTasks: number;
  /** Per activity type: time queued (scheduled → started) and running (started → completed). */
  activities: Record<string, { queueMs: number; runMs: number; count: number }>;
}

const at = (e: HistoryEvent | undefined): number => (e?.eventTime ? tsToMs(e.eventTime) : Number.NaN);

export function incidentTimes(events: HistoryEvent[]): IncidentTimes {
  const byId = new Map<number, HistoryEvent>();
  for (const e of events) byId.set(Number(e.eventId), e);
  const startMs = at(events[0]);
  const closeMs = at(events.at(-1));
  let timerMs = 0;
  let probeMs = 0;
  let workflowTaskQueueMs = 0;
  let workflowTaskRunMs = 0;
  let workflowTasks = 0;
  const activities: IncidentTimes['activities'] = {};
  for (const e of events) {
    if (e.timerFiredEventAttributes) timerMs += at(e) - at(byId.get(Number(e.timerFiredEventAttributes.startedEventId)));
    if (e.workflowTaskCompletedEventAttributes) {
      const started = byId.get(Number(e.workflowTaskCompletedEventAttributes.startedEventId));
      const scheduled = byId.get(Number(e.workflowTaskCompletedEventAttributes.scheduledEventId));
      workflowTaskQueueMs += at(started) - at(scheduled);
      workflowTaskRunMs += at(e) - at(started);
      workflowTasks += 1;
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const scheduled = byId.get(Number(done.scheduledEventId));
      const started = byId.get(Number(done.startedEventId));
      const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? 'unknown';
      const slot = (activities[type] ??= { queueMs: 0, runMs: 0, count: 0 });
      slot.queueMs += at(started) - at(scheduled);
      slot.runMs += at(e) - at(started);
      slot.count += 1;
      if (type === 'verify') probeMs += at(e) - at(started);
    }
  }
  const e2eMs = closeMs - startMs;
  return { startMs, closeMs, e2eMs, timerMs, probeMs, overheadMs: e2eMs - timerMs - probeMs, workflowTaskQueueMs, workflowTaskRunMs, workflowTasks, activities };
}

export async function fetchIncidentTimes(client: Client, workflowId: string): Promise<IncidentTimes> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return incidentTimes(history.events ?? []);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
