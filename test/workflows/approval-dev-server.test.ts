/**
 * Foundation path on the real dev server: an incident that needs approval waits, refuses an
 * unknown approver before anything enters history, is approved by update, executes, verifies,
 * completes, and is found by a visibility query on HealStage and HealPipeline. Its history is
 * then replayed, and a deliberately nondeterministic workflow is caught by replay.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { createIncidentWorker } from '../../workers/worker';
import { approveUpdate, incidentWorkflowId, timelineQuery, type IncidentState, type TimelineEntry } from '../../workflows/shared';
import { testTemporalAddress } from '../support/services';
import { connectDevServer, incidentBundle, manualInput, uniqueName, waitForState } from './helpers';
import { createLab, type Lab } from './lab';
import { signedApproval } from './signing';

jest.setTimeout(180_000);

let conn: Awaited<ReturnType<typeof connectDevServer>>;
let lab: Lab;
const pipeline = uniqueName('pipe');
beforeAll(async () => {
  conn = await connectDevServer(testTemporalAddress());
  lab = await createLab({ pipeline });
});
afterAll(async () => {
  await conn?.close();
  await lab?.close();
});

test('an incident needing approval waits, is approved by update, heals, and is found by search attributes; its history replays', async () => {
  const taskQueue = uniqueName('tq');
  const worker = await createIncidentWorker({
    connection: conn.native,
    taskQueue,
    activities: lab.activities,
    audit: lab.kb,
    workflowBundle: await incidentBundle(),
  });

  let handle!: WorkflowHandle;
  let result!: IncidentState;
  let timeline: TimelineEntry[] = [];
  await worker.runUntil(async () => {
    handle = await conn.client.workflow.start('incidentWorkflow', {
      taskQueue,
      workflowId: incidentWorkflowId(pipeline, 'sink'),
      args: [manualInput(pipeline, 'sink', { requireApproval: true })],
    });
    const waiting = await waitForState(handle, (s) => s.awaitingApproval);
    expect(waiting.stage).toBe('approve');

    // Refused by the validator: never reaches history.
    await expect(handle.executeUpdate(approveUpdate, { args: [{ approver: 'oncall-lead', planId: waiting.plan!.planId }] })).rejects.toBeInstanceOf(
      WorkflowUpdateFailedError,
    );

    // Visibility is eventually consistent: poll until the awaiting incident is listed.
    const query = `HealPipeline = '${pipeline}' AND HealStage = 'approve' AND HealAwaitingApproval = true`;
    expect(await listIdsEventually(query, 1)).toEqual([handle.workflowId]);

    const afterApproval = await handle.executeUpdate(approveUpdate, {
      args: [await signedApproval(handle, 'oncall-lead', waiting.plan!.planId, { reason: 'looks right' })],
    });
    expect(afterApproval.approvals.map((a) => a.approver)).toEqual(['oncall-lead']);
    result = await handle.result();
    // Queries on a closed workflow are answered by a worker replaying it: ask while one runs.
    timeline = await handle.query(timelineQuery);
  });

  expect(result.outcome).toBe('healed');
  expect(result.stage).toBe('closed');
  const stages = timeline.filter((e) => e.event.startsWith('stage ')).map((e) => e.stage);
  expect(stages).toEqual(['detect', 'diagnose', 'plan', 'approve', 'execute', 'verify', 'learn', 'closed']);
  expect(await listIdsEventually(`HealPipeline = '${pipeline}' AND HealStage = 'closed' AND HealOutcome = 'healed'`, 1)).toEqual([
    handle.workflowId,
  ]);
  const history = await handle.fetchHistory();
  if (process.env.HOMEOSTAT_RECORD_HISTORIES === '1') {
    // Refreshes the committed replay fixture of this path (test/fixtures/histories/).
    fs.writeFileSync(path.join(__dirname, '../fixtures/histories/approval-by-update.json'), `${JSON.stringify(history)}\n`);
  }
  // The refused approver left no trace in history: exactly one update was accepted, none rejected.
  const { EventType } = temporal.api.enums.v1;
  const types = (history.events ?? []).map((e) => e.eventType);
  expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(1);
  expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED)).toHaveLength(0);

  // Replay: the recorded history replays cleanly against the current workflow code…
  await Worker.runReplayHistory({ workflowBundle: await incidentBundle() }, history, handle.workflowId);
  // …and a workflow whose command sequence changed is caught.
  await expect(
    Worker.runReplayHistory(
      { workflowsPath: path.join(__dirname, '../fixtures/workflows/nondeterministic-incident.ts') },
      history,
      handle.workflowId,
    ),
  ).rejects.toBeInstanceOf(DeterminismViolationError);

  async function listIdsEventually(q: string, expected: number): Promise<string[]> {
    let ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      ids = [];
      for await (const wfInfo of conn.client.workflow.list({ query: q })) ids.push(wfInfo.workflowId);
      if (ids.length >= expected) return ids;
      await new Promise((r) => setTimeout(r, 200));
    }
    return ids;
  }
});
