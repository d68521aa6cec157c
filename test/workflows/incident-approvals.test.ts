/**
 * Approvals on the real dev server, beyond the happy path of approval-dev-server.test.ts, all
 * signed (test/workflows/signing.ts): rejection by update; unauthorised approvers (a known
 * identity without the role, and an unknown one, each with a key of its own) refused by the
 * update validator before anything enters history, with a reason that names nobody else;
 * approval by signal; invalid approval signals, which cannot be refused, recorded in the
 * timeline and ignored; and an abort while waiting. Forged, replayed, expired and revoked
 * signatures: incident-signed-decisions.test.ts.
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
import { signedAbort, signedApproval, signedRejection, testSigner } from './signing';

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
    const waiting = await waitingForApproval(handle);
    const after = await handle.executeUpdate(rejectUpdate, { args: [await signedRejection(handle, 'oncall-lead', waiting.plan!.planId, { reason: 'traffic peak, not now' })] });
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

    // A known identity without an approver role, and an identity the policy does not know (its own key).
    const planId = waiting.plan!.planId;
    for (const who of ['intern', 'mallory']) {
      const approval = await updateRefusal(handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, who, planId)] }));
      expect(approval).toBe(`approve refused: "${who}" with this key may not decide on this incident`);
      const rejection = await updateRefusal(handle.executeUpdate(rejectUpdate, { args: [await signedRejection(handle, who, planId)] }));
      expect(rejection).toBe(`reject refused: "${who}" with this key may not decide on this incident`);
      // Nobody who could decide is named.
      expect(`${approval} ${rejection}`).not.toContain('oncall-lead');
    }
    // An authorised approver naming a plan that is not the pending one is refused as well.
    expect(await updateRefusal(handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', 'some-older-plan')] }))).toBe(
      `approve refused: the signature names plan some-older-plan, but the pending plan is ${planId}`,
    );
    // Nothing entered history, and the incident still waits with nothing executed.
    const types = await eventTypes(handle);
    expect(types.filter((t) => UPDATE_EVENTS.includes(t))).toEqual([]);
    expect(applications(l)).toEqual({});
    const still = await waitingForApproval(handle);
    expect(still.approvals).toEqual([]);

    await handle.signal(approveSignal, await signedApproval(handle, 'oncall-lead', waiting.plan!.planId, { reason: 'go' }));
    const c = await closeIncident(handle, l);
    const after = await eventTypes(handle);
    expect(after.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toHaveLength(1);
    expect(after.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(0);
    await recordHistory(env.conn.client, handle, 'approved-by-signal');
    return c;
  });

  expect(closed.result.outcome).toBe('healed');
  expect(closed.result.approvals).toEqual([{ approver: 'oncall-lead', reason: 'go', planId: expect.any(String), proof: expect.objectContaining({ publicKey: testSigner('oncall-lead').publicKey }) }]);
  expect(applications(l)).toEqual({ 'scale-out': 1 });
  expect(closed.explanation.action).toContain('(approved by oncall-lead)');
  expectCompleteExplanation(closed);
});

test('invalid approval signals are recorded in the timeline and ignored; a valid reject signal closes the incident', async () => {
  const { l, pipeline } = await newLab('badsig');
  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    const waiting = await waitingForApproval(handle);

    const planId = waiting.plan!.planId;
    // Unsigned (an impersonation through a raw client), a role the plan does not accept, an older plan.
    await handle.signal(approveSignal, { approver: 'oncall-lead', reason: 'trust me', planId });
    await handle.signal(approveSignal, await signedApproval(handle, 'intern', planId));
    await handle.signal(approveSignal, await signedApproval(handle, 'oncall-lead', 'some-older-plan'));
    // Signals are handled in order: once all three are in the timeline, the incident must still wait.
    let timeline = await handle.query(timelineQuery);
    for (let i = 0; i < 100 && timeline.filter((e) => e.event === 'approval ignored').length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      timeline = await handle.query(timelineQuery);
    }
    const ignored = timeline.filter((e) => e.event === 'approval ignored');
    expect(ignored.map((e) => e.detail)).toEqual([
      'from "oncall-lead": approve refused: unsigned decisions are not accepted (sign with npx homeostat keys create)',
      'from "intern": approve refused: "intern" with this key may not decide on this incident',
      `from "oncall-lead": approve refused: the signature names plan some-older-plan, but the pending plan is ${planId}`,
    ]);
    expect(ignored.every((e) => e.stage === 'approve')).toBe(true);
    const still = await waitingForApproval(handle);
    expect(still.approvals).toEqual([]);
    expect(applications(l)).toEqual({});

    await handle.signal(rejectSignal, await signedRejection(handle, 'mallory', planId));
    await handle.signal(rejectSignal, await signedRejection(handle, 'oncall-lead', planId, { reason: 'not during the release' }));
    const c = await closeIncident(handle, l);
    await recordHistory(env.conn.client, handle, 'invalid-approval-signals');
    return c;
  });

  expect(closed.result.outcome).toBe('rejected');
  expect(closed.timeline.filter((e) => e.event === 'rejection ignored').map((e) => e.detail)).toEqual([
    'from "mallory": reject refused: "mallory" with this key may not decide on this incident',
  ]);
  expect(applications(l)).toEqual({});
  expectCompleteExplanation(closed);
});

test('an abort signal while awaiting approval closes the incident as aborted and executes nothing', async () => {
  const { l, pipeline } = await newLab('abort');
  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    await waitingForApproval(handle);
    await handle.signal(abortSignal, await signedAbort(handle, 'oncall-lead', { reason: 'duplicate of another incident' }));
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
