/**
 * Duplicate anomalies on the real dev server: callers use signalWithStart on
 * incident/<pipeline>/<component>, so every later anomaly for the same component lands as
 * evidence on the one open incident instead of opening a second one. The incident waits for an
 * approval meanwhile, so it is open for every call.
 */
import { approveUpdate, evidenceSignal, incidentWorkflowId, type Evidence } from '../../workflows/shared';
import { incidentBundle, manualInput, uniqueName, waitForState } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, useIncidentEnv } from './incident-harness';
import { createIncidentWorker } from '../../workers/worker';
import { createLab } from './lab';
import { signedApproval } from './signing';

jest.setTimeout(60_000);

const env = useIncidentEnv();

test('five anomalies for one component open one incident whose evidence count grows', async () => {
  const pipeline = uniqueName('dupes');
  const l = await createLab({ pipeline });
  env.track(l);
  const taskQueue = uniqueName('tq');
  const worker = await createIncidentWorker({ connection: env.conn.native, taskQueue, activities: l.activities, audit: l.kb, workflowBundle: await incidentBundle() });
  const workflowId = incidentWorkflowId(pipeline, 'sink');

  const closed = await worker.runUntil(async () => {
    const anomaly = (i: number): Evidence => ({
      at: new Date(Date.UTC(2026, 10, 25, 12, 0, i)).toISOString(),
      source: 'sentinel',
      summary: `consumer lag anomaly #${i}`,
      health: 0.5 - i / 100,
    });
    const open = (i: number) =>
      env.conn.client.workflow.signalWithStart('incidentWorkflow', {
        taskQueue,
        workflowId,
        args: [{ ...manualInput(pipeline, 'sink', { requireApproval: true }), evidence: [anomaly(i)] }],
        signal: evidenceSignal,
        signalArgs: [anomaly(i)],
      });

    const first = await open(1);
    await waitForState(first, (s) => s.awaitingApproval);
    const later = [];
    for (let i = 2; i <= 5; i++) later.push(await open(i));

    // Every call signalled the same run: one execution.
    expect(new Set([first, ...later].map((h) => h.signaledRunId)).size).toBe(1);
    // The opening anomaly arrives twice (input and signal) and counts once; each later one adds one.
    const s = await waitForState(first, (x) => x.evidenceCount === 5);
    expect(s.awaitingApproval).toBe(true);
    expect(s.explanation.evidence).toMatch(/^5 observation\(s\) from sentinel; worst health 0\.450; latest: consumer lag anomaly #5$/);

    await first.executeUpdate(approveUpdate, { args: [await signedApproval(first, 'oncall-lead', s.plan!.planId)] });
    const c = await closeIncident(first, l);

    // Visibility knows a single execution with this id (polled: visibility is eventually consistent).
    let runs: string[] = [];
    for (let i = 0; i < 50 && runs.length === 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      runs = [];
      for await (const w of env.conn.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(w.runId);
    }
    expect(runs).toEqual([first.signaledRunId]);
    await recordHistory(env.conn.client, first, 'duplicate-anomalies');
    return c;
  });

  expect(closed.result.outcome).toBe('healed');
  expect(closed.result.evidenceCount).toBe(5);
  expect(closed.timeline.filter((e) => e.event === 'evidence')).toHaveLength(4);
  expect(closed.cases[0]!.evidence).toHaveLength(5);
  expect(applications(l)).toEqual({ 'scale-out': 1 });
  expectCompleteExplanation(closed);
});
