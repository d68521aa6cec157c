/**
 * Long incidents stay bounded, on the real dev server: an incident waiting for approval with a
 * small `timing.maxHistoryEvents` receives many evidence signals, continues as new (more than
 * once) carrying its state — evidence count, stage approve, the pending plan, the timeline — and
 * can still be approved and complete.
 */
import { approveUpdate, evidenceSignal, stateQuery, type IncidentState } from '../../workflows/shared';
import { manualInput, uniqueName, waitForState } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, stagesOf, startIncident, withWorker, useIncidentEnv } from './incident-harness';
import { createLab } from './lab';
import { signedApproval } from './signing';

jest.setTimeout(60_000);

const SIGNALS = 30;

const env = useIncidentEnv();

test('an incident awaiting approval continues as new under a stream of evidence, keeps its state, and can still be approved', async () => {
  const pipeline = uniqueName('can');
  const l = await createLab({ pipeline });
  env.track(l);

  const { closed, runIds, waiting, resumed } = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(
      env.conn.client,
      taskQueue,
      manualInput(pipeline, 'sink', { requireApproval: true, timing: { maxHistoryEvents: 40 } }),
    );
    const waiting = await waitForState(handle, (s) => s.awaitingApproval);
    const firstRunId = handle.firstExecutionRunId;

    for (let i = 1; i <= SIGNALS; i++) {
      await handle.signal(evidenceSignal, { at: new Date(Date.UTC(2026, 10, 25, 12, 0, i)).toISOString(), source: 'sentinel', summary: `lag anomaly #${i}` });
    }
    await waitForState(handle, (s) => s.evidenceCount === 1 + SIGNALS);

    // The latest run is not the first: the incident continued as new while waiting.
    const latestRunId = (await handle.describe()).runId;
    expect(latestRunId).not.toBe(firstRunId);
    // The state the latest run carries: still waiting for the same plan, every piece of evidence counted.
    const resumed: IncidentState = await waitForState(handle, (s) => s.stage === 'approve' && s.awaitingApproval);
    expect(resumed.evidenceCount).toBe(1 + SIGNALS);
    expect(resumed.plan?.planId).toBe(waiting.plan?.planId);
    expect(await env.conn.client.workflow.getHandle(handle.workflowId, latestRunId).query(stateQuery)).toMatchObject({ stage: 'approve' });

    await handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', waiting.plan!.planId)] });
    const c = await closeIncident(handle, l);

    // Walk the chain back from the last run.
    const runIds: string[] = [];
    let runId: string | undefined = (await handle.describe()).runId;
    while (runId) {
      runIds.unshift(runId);
      const h = await env.conn.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      runId = h.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    }
    await recordHistory(env.conn.client, handle, 'continue-as-new');
    return { closed: c, runIds, waiting, resumed };
  });

  expect(runIds.length).toBeGreaterThanOrEqual(2);
  expect(waiting.evidenceCount).toBe(1);
  expect(resumed.approvals).toEqual([]);
  const { result, timeline } = closed;
  expect(result.outcome).toBe('healed');
  expect(result.evidenceCount).toBe(1 + SIGNALS);
  expect(result.approvals.map((a) => a.approver)).toEqual(['oncall-lead']);
  expect(applications(l)).toEqual({ 'scale-out': 1 });

  // The timeline crossed every run boundary.
  const events = timeline.map((e) => e.event);
  expect(events.filter((e) => e === 'continued as new')).toHaveLength(runIds.length - 1);
  expect(events.filter((e) => e === 'resumed after continue-as-new')).toHaveLength(runIds.length - 1);
  expect(events.filter((e) => e === 'evidence')).toHaveLength(SIGNALS);
  // Carried state means carried diagnosis: the fault is diagnosed once, and a resumed run does not
  // step back from approve to diagnose (a repeated marker of the same stage is fine).
  const stages = stagesOf(timeline).filter((s, i, all) => i === 0 || all[i - 1] !== s);
  expect(stages).toEqual(['detect', 'diagnose', 'plan', 'approve', 'execute', 'verify', 'learn', 'closed']);
  expectCompleteExplanation(closed);
});
