/**
 * Re-validation asks for an approval again, on the real dev server. (1) The policy changed after
 * planning so the repair now needs approval: the incident waits for one instead of acting.
 * (2) The approver lost the role between approving and re-validation: the approval no longer
 * counts, nothing runs (execution needs the lease re-validation only grants to a valid plan), and
 * the incident asks the approvers of the current policy on a fresh plan.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { approveUpdate, stateQuery, timelineQuery, type IncidentState } from '../../workflows/shared';
import { manualInput, uniqueName, waitForState } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, startIncident, useIncidentEnv, withWorker } from './incident-harness';
import { createLab, labPolicy } from './lab';
import { signedApproval } from './signing';

jest.setTimeout(90_000);

const env = useIncidentEnv();

async function waitForEvent(handle: WorkflowHandle, event: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await handle.query(timelineQuery)).some((e) => e.event === event)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${handle.workflowId} never recorded "${event}"`);
}

test('a repair that needs approval only by the time it is re-validated waits for one, then runs', async () => {
  const pipeline = uniqueName('reval-approval');
  const lab = env.track(await createLab({ pipeline }));
  // Right after planning, the sink is tagged PHI: the approval rule for sensitive data now applies.
  const plan = lab.activities.plan;
  lab.activities.plan = async (input) => {
    const r = await plan(input);
    lab.setPolicy(labPolicy(pipeline).replace('- { name: sink, layer: data }', '- { name: sink, layer: data, sensitivity: [PHI] }'));
    return r;
  };

  const closed = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink'));
    const waiting = await waitForState(handle, (s) => s.awaitingApproval);
    expect(waiting.plan?.requiresApproval).toBe(false); // planned as allowed
    expect(applications(lab)).toEqual({});
    await handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', waiting.plan!.planId)] });
    const c = await closeIncident(handle, lab);
    await recordHistory(env.conn.client, handle, 'revalidation-requires-approval');
    return c;
  });

  expect(closed.result.outcome).toBe('healed');
  expect(applications(lab)).toEqual({ 'scale-out': 1 });
  expect(closed.result.approvals.map((a) => a.approver)).toEqual(['oncall-lead']);
  expectCompleteExplanation(closed);
});

test('an approval that no longer counts at re-validation runs nothing and asks the current approvers again', async () => {
  const pipeline = uniqueName('lapsed-approval');
  const lab = env.track(await createLab({ pipeline }));

  const closed = await withWorker(env.conn.native, lab, async (taskQueue) => {
    // `records` holds PHI: the policy's sensitive-data rule asks for an approval.
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'records'));
    const first = await waitForState(handle, (s) => s.awaitingApproval);
    // oncall-lead hands over the on-call role before approving reaches re-validation.
    lab.setPolicy(
      labPolicy(pipeline).replace(
        '- { identity: oncall-lead, roles: [oncall, lead], pipelines: ["*"] }',
        '- { identity: oncall-lead, roles: [viewer], pipelines: ["*"] }\n  - { identity: backup-lead, roles: [oncall, lead], pipelines: ["*"] }',
      ),
    );
    await handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', first.plan!.planId)] });
    await waitForEvent(handle, 'approval no longer counts');
    const again: IncidentState = await waitForState(handle, (s) => s.awaitingApproval);
    // Nothing ran on the lapsed approval, and no lease is held for it.
    expect(applications(lab)).toEqual({});
    expect(await lab.kb.listActuations({ incidentId: handle.workflowId })).toEqual([]);
    // The old approver is refused now; the current one approves.
    await expect(handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', again.plan!.planId)] })).rejects.toMatchObject({
      cause: { message: expect.stringContaining('"oncall-lead" with this key may not decide') },
    });
    await handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'backup-lead', again.plan!.planId)] });
    const c = await closeIncident(handle, lab);
    expect((await handle.query(stateQuery)).outcome).toBe('healed');
    await recordHistory(env.conn.client, handle, 'approval-lapsed-reapproved');
    return c;
  });

  expect(closed.result.outcome).toBe('healed');
  expect(applications(lab)).toEqual({ 'scale-out': 1 });
  expect(closed.result.approvals.map((a) => a.approver)).toEqual(['oncall-lead', 'backup-lead']);
  expect(closed.timeline.find((e) => e.event === 'approval no longer counts')?.detail).toMatch(/approval by oncall-lead does not count/);
  expectCompleteExplanation(closed);
});
