/**
 * Approvals on the real dev server, beyond the happy path of approval-dev-server.test.ts:
 * rejection by update; unauthorised approvers (a known identity without the role, and an unknown
 * one) refused by the update validator before anything enters history; approval by signal; and
 * invalid approval signals, which cannot be refused, recorded in the timeline and ignored; and an
 * abort while waiting.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  abortSignal,
  approveSignal,
  approveUpdate,
  rejectSignal,
  rejectUpdate,
  timelineQuery,
  type IncidentState,
} from '../../workflows/shared';
import { manualInput, uniqueName, waitForState } from './helpers';
import { applications, closeIncident, eventTypes, expectCompleteExplanation, recordHistory, startIncident, withWorker, useIncidentEnv } from './incident-harness';
import { createLab, type Lab } from './lab';

jest.setTimeout(60_000);

const { EventType } = temporal.api.enums.v1;
const UPDATE_EVENTS = [
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
];

const env = useIncidentEnv();

async function newLab(prefix: string): Promise<{ l: Lab; pipeline: string }> {
  const pipeline = uniqueName(prefix);
  const lab = env.track(await createLab({ pipeline }));
  return { l: lab, pipeline };
}

/** The update's failure message, from the validator's error. */
async function updateRefusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((err as WorkflowUpdateFailedError).cause as Error | undefined)?.message ?? '';
}

async function waitingForApproval(handle: WorkflowHandle): Promise<IncidentState> {
  const s = await waitForState(handle, (x) => x.awaitingApproval);
  expect(s.stage).toBe('approve');
  return s;
}

test('an incident rejected by update closes as rejected and executes nothing', async () => {
  const { l, pipeline } = await newLab('reject');
  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    await waitingForApproval(handle);
    const after = await handle.executeUpdate(rejectUpdate, { args: [{ approver: 'oncall-lead', reason: 'traffic peak, not now' }] });
    expect(after.approvals).toEqual([]);
    const c = await closeIncident(handle, l);
    await recordHistory(env.conn.client, handle, 'rejected-by-update');
    return c;
  });

  expect(closed.result.outcome).toBe('rejected');
  expect(closed.result.attempts).toBe(0);
  expect(applications(l)).toEqual({});
  expect(await l.kb.listActuations({ incidentId: closed.id })).toEqual([]);
  expect(closed.timeline).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'rejected', detail: 'by oncall-lead: traffic peak, not now' })]));
  expect(closed.explanation.action).toBe('scale-out rejected by oncall-lead');
  expect(closed.explanation.verification).toBe('not run: the plan was rejected');
  expect(l.escalations).toEqual([]);
  expectCompleteExplanation(closed);
  expect(closed.cases[0]).toMatchObject({ outcome: 'rejected', attempts: [] });
});

test('unauthorised approvers are refused by the update validator before history; approval by signal then heals', async () => {
  const { l, pipeline } = await newLab('unauth');
  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    const waiting = await waitingForApproval(handle);

    // A known identity without an approver role, and an identity the policy does not know.
    for (const who of ['intern', 'mallory']) {
      expect(await updateRefusal(handle.executeUpdate(approveUpdate, { args: [{ approver: who }] }))).toContain(
        `"${who}" is not an authorised approver for pipeline ${pipeline} (authorised: oncall-lead)`,
      );
      expect(await updateRefusal(handle.executeUpdate(rejectUpdate, { args: [{ approver: who }] }))).toContain(
        `"${who}" is not an authorised approver`,
      );
    }
    // An authorised approver naming a plan that is not the pending one is refused as well.
    expect(await updateRefusal(handle.executeUpdate(approveUpdate, { args: [{ approver: 'oncall-lead', planId: 'some-older-plan' }] }))).toContain(
      `approval names plan some-older-plan, but the pending plan is ${waiting.plan!.planId}`,
    );
    // Nothing entered history, and the incident still waits with nothing executed.
    const types = await eventTypes(handle);
    expect(types.filter((t) => UPDATE_EVENTS.includes(t))).toEqual([]);
    expect(applications(l)).toEqual({});
    const still = await waitingForApproval(handle);
    expect(still.approvals).toEqual([]);

    await handle.signal(approveSignal, { approver: 'oncall-lead', reason: 'go', planId: waiting.plan!.planId });
    const c = await closeIncident(handle, l);
    const after = await eventTypes(handle);
    expect(after.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toHaveLength(1);
    expect(after.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(0);
    await recordHistory(env.conn.client, handle, 'approved-by-signal');
    return c;
  });

  expect(closed.result.outcome).toBe('healed');
  expect(closed.result.approvals).toEqual([{ approver: 'oncall-lead', reason: 'go', planId: expect.any(String) }]);
  expect(applications(l)).toEqual({ 'scale-out': 1 });
  expect(closed.explanation.action).toContain('(approved by oncall-lead)');
  expectCompleteExplanation(closed);
});

test('invalid approval signals are recorded in the timeline and ignored; a valid reject signal closes the incident', async () => {
  const { l, pipeline } = await newLab('badsig');
  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    const waiting = await waitingForApproval(handle);

    await handle.signal(approveSignal, { approver: 'mallory', reason: 'trust me' });
    await handle.signal(approveSignal, { approver: 'intern' });
    await handle.signal(approveSignal, { approver: 'oncall-lead', planId: 'some-older-plan' });
    // Signals are handled in order: once all three are in the timeline, the incident must still wait.
    let timeline = await handle.query(timelineQuery);
    for (let i = 0; i < 100 && timeline.filter((e) => e.event === 'approval ignored').length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      timeline = await handle.query(timelineQuery);
    }
    const ignored = timeline.filter((e) => e.event === 'approval ignored');
    expect(ignored.map((e) => e.detail)).toEqual([
      expect.stringContaining('"mallory" is not an authorised approver'),
      expect.stringContaining('"intern" is not an authorised approver'),
      `approval names plan some-older-plan, but the pending plan is ${waiting.plan!.planId}`,
    ]);
    expect(ignored.every((e) => e.stage === 'approve')).toBe(true);
    const still = await waitingForApproval(handle);
    expect(still.approvals).toEqual([]);
    expect(applications(l)).toEqual({});

    await handle.signal(rejectSignal, { approver: 'mallory' });
    await handle.signal(rejectSignal, { approver: 'oncall-lead', reason: 'not during the release' });
    const c = await closeIncident(handle, l);
    await recordHistory(env.conn.client, handle, 'invalid-approval-signals');
    return c;
  });

  expect(closed.result.outcome).toBe('rejected');
  expect(closed.timeline.filter((e) => e.event === 'rejection ignored').map((e) => e.detail)).toEqual([
    expect.stringContaining('"mallory" is not an authorised approver'),
  ]);
  expect(applications(l)).toEqual({});
  expectCompleteExplanation(closed);
});

test('an abort signal while awaiting approval closes the incident as aborted and executes nothing', async () => {
  const { l, pipeline } = await newLab('abort');
  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    await waitingForApproval(handle);
    await handle.signal(abortSignal, { by: 'oncall-lead', reason: 'duplicate of another incident' });
    const c = await closeIncident(handle, l);
    await recordHistory(env.conn.client, handle, 'aborted-while-awaiting-approval');
    return c;
  });

  expect(closed.result.outcome).toBe('aborted');
  expect(closed.result.awaitingApproval).toBe(false);
  expect(closed.timeline).toEqual(
    expect.arrayContaining([expect.objectContaining({ event: 'abort requested', detail: 'by oncall-lead: duplicate of another incident' })]),
  );
  expect(applications(l)).toEqual({});
  expect(await l.kb.listActuations({ incidentId: closed.id })).toEqual([]);
  expect(l.escalations).toEqual([]);
  expectCompleteExplanation(closed);
});
