/**
 * Continue-as-new from the escalation ladder, on the real dev server: with a small history bound
 * an incident whose first rung fails verification continues as new, carrying its diagnosis (the
 * next run plans the next rung without diagnosing again), and an abort that arrived while the
 * failing rung was being verified survives the continue-as-new and ends the incident there.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { abortSignal, timelineQuery } from '../../workflows/shared';
import { manualInput, uniqueName } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, runHistories, stagesOf, startIncident, useIncidentEnv, withWorker } from './incident-harness';
import { createLab } from './lab';
import { signedAbort } from './signing';

jest.setTimeout(90_000);

const env = useIncidentEnv();

/** Run ids of the incident's continue-as-new chain, first to last. */
async function runChain(handle: WorkflowHandle): Promise<string[]> {
  return (await runHistories(env.conn.client, handle)).map((r) => r.runId);
}

async function scheduledActivities(handle: WorkflowHandle, runId: string): Promise<string[]> {
  const h = await env.conn.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
  return (h.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((n): n is string => !!n);
}

test('a failed rung continues as new with the diagnosis carried: the next run plans the next rung without diagnosing again', async () => {
  const pipeline = uniqueName('ladder-can');
  const lab = env.track(await createLab({ pipeline }));
  // Verification probes until stable: scale-out fails throughout its verification, later rungs pass.
  lab.healthScript.set('sink/scale-out', ['fail']);

  const { closed, runs, secondRunActivities } = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { timing: { maxHistoryEvents: 20 } }));
    const c = await closeIncident(handle, lab);
    const r = await runChain(handle);
    const second = await scheduledActivities(handle, r[1]!);
    await recordHistory(env.conn.client, handle, 'ladder-continue-as-new');
    return { closed: c, runs: r, secondRunActivities: second };
  });

  expect(runs).toHaveLength(2);
  expect(closed.result.outcome).toBe('healed');
  expect(applications(lab)).toEqual({ 'scale-out': 1, 'load-shedding': 1 });
  expect(secondRunActivities).not.toContain('diagnose');
  expect(secondRunActivities.slice(0, 2)).toEqual(['plan', 'revalidate']);
  expect(stagesOf(closed.timeline).filter((s) => s === 'diagnose')).toHaveLength(1);
  expect(closed.timeline.map((e) => e.event)).toEqual(expect.arrayContaining(['verification fail', 'continued as new', 'resumed after continue-as-new', 'planned load-shedding']));
  expect(closed.cases[0]).toMatchObject({ attempts: [{ action: 'scale-out', verification: 'fail' }, { action: 'load-shedding', verification: 'pass' }] });
  expectCompleteExplanation(closed);
});

test('an abort that arrives while a failing rung is verified survives the continue-as-new that follows', async () => {
  const pipeline = uniqueName('abort-can');
  const lab = env.track(await createLab({ pipeline }));
  const probe = lab.holdProbe('sink');
  // After the held round, scale-out keeps failing until its verification's deadline.
  lab.healthScript.set('sink/scale-out', ['fail']);

  const { closed, runs } = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { timing: { maxHistoryEvents: 20 } }));
    // Verification of scale-out is under way: the operator aborts now.
    await probe.arrived;
    await handle.signal(abortSignal, await signedAbort(handle, 'oncall-lead', { reason: 'maintenance starts' }));
    for (let i = 0; i < 200 && !(await handle.query(timelineQuery)).some((e) => e.event === 'abort requested'); i++) await new Promise((r) => setTimeout(r, 50));
    probe.answer('fail');
    const c = await closeIncident(handle, lab);
    const r = await runChain(handle);
    await recordHistory(env.conn.client, handle, 'abort-during-verify');
    return { closed: c, runs: r };
  });

  expect(runs).toHaveLength(2);
  expect(closed.result.outcome).toBe('aborted');
  // The next rung never ran.
  expect(applications(lab)).toEqual({ 'scale-out': 1 });
  expect(closed.timeline.map((e) => e.event)).not.toContain('planned load-shedding');
  expect(closed.cases[0]).toMatchObject({ outcome: 'aborted', attempts: [{ action: 'scale-out', verification: 'fail' }] });
  expectCompleteExplanation(closed);
});
