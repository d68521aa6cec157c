/** The loop benchmark's arithmetic on histories it did not run: times per incident, percentiles, the JSON line. */
import { msToTs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { loopJson, type LoopBreakdown } from '../../bench/loop';
import { incidentTimes, percentile } from '../../bench/loop/history';

type Event = temporal.api.history.v1.IHistoryEvent;
/** Event ids are int64 (Long) in the protos; the benchmark reads them with Number(), so small numbers stand in. */
type Int64 = NonNullable<Event['eventId']>;
const int64 = (n: number): Int64 => n as unknown as Int64;
const T0 = Date.parse('2026-06-10T12:00:00Z');
const at = (ms: number): Event['eventTime'] => msToTs(T0 + ms);

/** A tiny incident: start, one workflow task, one verify activity, one timer, one more workflow task, close. */
function history(): Event[] {
  const e = (id: number, ms: number, attrs: Partial<Event>): Event => ({ eventId: int64(id), eventTime: at(ms), ...attrs }) as Event;
  return [
    e(1, 0, { workflowExecutionStartedEventAttributes: {} }),
    e(2, 0, { workflowTaskScheduledEventAttributes: {} }),
    e(3, 10, { workflowTaskStartedEventAttributes: {} }),
    e(4, 30, { workflowTaskCompletedEventAttributes: { scheduledEventId: int64(2), startedEventId: int64(3) } }),
    e(5, 30, { activityTaskScheduledEventAttributes: { activityType: { name: 'verify' } } }),
    e(6, 50, { activityTaskStartedEventAttributes: {} }),
    e(7, 150, { activityTaskCompletedEventAttributes: { scheduledEventId: int64(5), startedEventId: int64(6) } }),
    e(8, 150, { timerStartedEventAttributes: {} }),
    e(9, 1150, { timerFiredEventAttributes: { startedEventId: int64(8) } }),
    e(10, 1150, { workflowTaskScheduledEventAttributes: {} }),
    e(11, 1160, { workflowTaskStartedEventAttributes: {} }),
    e(12, 1200, { workflowTaskCompletedEventAttributes: { scheduledEventId: int64(10), startedEventId: int64(11) } }),
    e(13, 1200, { workflowExecutionCompletedEventAttributes: {} }),
  ];
}

describe('bench loop arithmetic', () => {
  it('splits an incident into workflow tasks, activities, timers, probes and the loop overhead', () => {
    const t = incidentTimes(history());
    expect(t).toMatchObject({ e2eMs: 1200, timerMs: 1000, probeMs: 100, overheadMs: 100, workflowTasks: 2, workflowTaskQueueMs: 20, workflowTaskRunMs: 60 });
    expect(t.activities).toEqual({ verify: { queueMs: 20, runMs: 100, count: 1 } });
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('prints exactly the JSON shape of the issue, one row per server and worker count', () => {
    const row = (server: 'dev' | 'server', workers: 1 | 3): LoopBreakdown => ({
      row: { server, workers, incidentsPerSecond: 12.5, p50Ms: 800, p99Ms: 1500, overheadP50Ms: 180 },
      loadedOverheadP50Ms: 700,
      workflowTasks: 9,
      workflowTaskQueueMs: 1,
      workflowTaskRunMs: 2,
      activities: {},
      timerMs: 1000,
      kbMsPerIncident: 70,
      kbCallsPerIncident: 20,
    });
    const line = loopJson([row('dev', 1), row('dev', 3), row('server', 1), row('server', 3)]);
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line) as { rows: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['rows']);
    expect(parsed.rows.map((r) => Object.keys(r))).toEqual(Array(4).fill(['server', 'workers', 'incidentsPerSecond', 'p50Ms', 'p99Ms', 'overheadP50Ms']));
    expect(parsed.rows.map((r) => [r.server, r.workers])).toEqual([['dev', 1], ['dev', 3], ['server', 1], ['server', 3]]);
  });
});
