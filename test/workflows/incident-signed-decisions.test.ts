/**
 * Signed decisions on the real dev server, sent through a raw Temporal client as an attacker who
 * reaches the namespace would: unsigned, forged (another key claiming an identity), tampered,
 * expired, out-of-scope and replayed decisions are refused — updates by the validator before
 * history, signals noted in the timeline and ignored — and every attempt, accepted or refused,
 * is in the audit log the worker writes. A rotated-out key stops working at the next plan. With
 * no remediation lease nothing runs whatever the approval state; a starter cannot loosen the
 * policy's shadow mode.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { firstRunId, signedArgs } from '../../common/decision-keys';
import { abortSignal, approveSignal, approveUpdate, timelineQuery, type Approval, type IncidentState } from '../../workflows/shared';
import { manualInput, uniqueName, waitForState } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, startIncident, useIncidentEnv, withWorker } from './incident-harness';
import { createLab, labPolicy } from './lab';
import { LAB_IDENTITIES, labKeys, signedAbort, signedApproval, testSigner } from './signing';

jest.setTimeout(90_000);

const env = useIncidentEnv();

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((err as WorkflowUpdateFailedError).cause as Error | undefined)?.message ?? '';
}

async function timelineHas(handle: WorkflowHandle, event: string, count: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const found = (await handle.query(timelineQuery)).filter((e) => e.event === event).map((e) => e.detail ?? '');
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${handle.workflowId} never recorded ${count} "${event}"`);
}

test('impersonated, forged, tampered, expired, out-of-scope and replayed decisions are refused and audited; a signed one heals', async () => {
  const pipeline = uniqueName('signed');
  const elsewhere = labPolicy('elsewhere');
  const policyYaml =
    labPolicy(pipeline).replace(
      '  - { identity: intern, roles: [viewer], pipelines: ["*"] }',
      '  - { identity: intern, roles: [viewer], pipelines: ["*"] }\n  - { identity: scoped-lead, roles: [oncall, lead], pipelines: [elsewhere] }',
    ) + elsewhere.slice(elsewhere.indexOf('pipelines:\n') + 'pipelines:\n'.length);
  const lab = env.track(await createLab({ pipeline, policyYaml }));
  lab.setKeys(labKeys([...LAB_IDENTITIES, 'scoped-lead']));

  const closed = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    const waiting: IncidentState = await waitForState(handle, (s) => s.awaitingApproval);
    const planId = waiting.plan!.planId;
    const runId = await firstRunId(handle);
    const update = (a: Approval): Promise<string> => refusal(handle.executeUpdate(approveUpdate, { args: [a] }));

    // Impersonation: the identity alone, as `temporal workflow update execute` with {"approver":"oncall-lead"} sends it.
    expect(await update({ approver: 'oncall-lead', planId })).toBe('approve refused: unsigned decisions are not accepted (sign with npx homeostat keys create)');
    // Forged: mallory signs with her own key but claims to be oncall-lead.
    const forged = { ...(await signedApproval(handle, 'mallory', planId)), approver: 'oncall-lead' };
    expect(await update(forged)).toBe('approve refused: "oncall-lead" with this key may not decide on this incident');
    // Tampered: a valid signature, with the reason changed afterwards.
    const tampered = { ...(await signedApproval(handle, 'oncall-lead', planId, { reason: 'checked' })), reason: 'checked, and also restart everything' };
    expect(await update(tampered)).toBe('approve refused: the signature does not verify');
    // Expired: signed two hours ago for one minute.
    const expired = signedArgs(testSigner('oncall-lead'), { decision: 'approve', incidentId: handle.workflowId, runId, planId, now: Date.now() - 2 * 3600_000, ttlMs: 60_000 });
    expect(await update(expired)).toMatch(/^approve refused: the signature expired at /);
    // Too long-lived a signature is refused too.
    const forever = signedArgs(testSigner('oncall-lead'), { decision: 'approve', incidentId: handle.workflowId, runId, planId, ttlMs: 48 * 3600_000 });
    expect(await update(forever)).toBe('approve refused: the signature is valid for longer than 24 h');
    // Another incident's run.
    const otherRun = signedArgs(testSigner('oncall-lead'), { decision: 'approve', incidentId: handle.workflowId, runId: 'another-run', planId });
    expect(await update(otherRun)).toBe(`approve refused: the signature is for another run of ${handle.workflowId}`);
    // Out of scope: a lead whose key is registered, but only for another pipeline.
    expect(await update(await signedApproval(handle, 'scoped-lead', planId))).toBe('approve refused: "scoped-lead" with this key may not decide on this incident');
    // Abort without a valid signature (a signal: noted and ignored).
    await handle.signal(abortSignal, { by: 'oncall-lead', reason: 'stop it' });
    await handle.signal(abortSignal, await signedAbort(handle, 'intern'));
    const ignoredAborts = await timelineHas(handle, 'abort ignored', 2);
    expect(ignoredAborts).toEqual([
      'from "oncall-lead": abort refused: unsigned decisions are not accepted (sign with npx homeostat keys create)',
      'from "intern": abort refused: "intern" with this key may not decide on this incident',
    ]);
    expect((await waitForState(handle, (s) => s.awaitingApproval)).outcome).toBeNull();
    expect(applications(lab)).toEqual({});

    // The real approval, then the same signed payload replayed by signal.
    const good = await signedApproval(handle, 'oncall-lead', planId, { reason: 'checked the lag graph' });
    await handle.executeUpdate(approveUpdate, { args: [good] });
    await handle.signal(approveSignal, good);
    expect(await timelineHas(handle, 'approval ignored', 1)).toEqual(['from "oncall-lead": approve refused: this signed decision was already used (replayed nonce)']);
    const c = await closeIncident(handle, lab);
    await recordHistory(env.conn.client, handle, 'signed-decisions-refused');
    return c;
  });

  expect(closed.result.outcome).toBe('healed');
  expect(applications(lab)).toEqual({ 'scale-out': 1 });
  expect(closed.result.approvals.map((a) => a.approver)).toEqual(['oncall-lead']);
  expectCompleteExplanation(closed);

  // Every attempt that reached the workflow is in the audit log, written by the worker.
  const rows = (await lab.kb.listAudit({ subject: closed.id })).filter((r) => /^(approve|reject|abort)\./.test(r.action));
  expect(rows.map((r) => `${r.actor} ${r.action} ${(r.detail as { via: string }).via}`)).toEqual([
    'oncall-lead approve.refused update',
    'oncall-lead approve.refused update',
    'oncall-lead approve.refused update',
    'oncall-lead approve.refused update',
    'oncall-lead approve.refused update',
    'oncall-lead approve.refused update',
    'scoped-lead approve.refused update',
    'oncall-lead abort.refused signal',
    'intern abort.refused signal',
    'oncall-lead approve.accepted update',
    'oncall-lead approve.refused signal',
  ]);
  expect((rows[0]!.detail as { refusal: string }).refusal).toContain('unsigned');
  expect((rows[9]!.detail as { publicKey: string }).publicKey).toBe(testSigner('oncall-lead').publicKey);
});

test('a key rotated out of the keys file stops working at the next plan; the new key approves', async () => {
  const pipeline = uniqueName('rotated');
  const lab = env.track(await createLab({ pipeline }));
  const rotated = testSigner('oncall-lead', 1);
  // oncall-lead's old key is removed, a new one registered: the policy loaded for the plan knows only the new one.
  lab.setKeys({ approvers: [{ identity: 'oncall-lead', publicKeys: [rotated.publicKey] }] });

  const closed = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    const waiting = await waitForState(handle, (s) => s.awaitingApproval);
    const planId = waiting.plan!.planId;
    expect(await refusal(handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', planId)] }))).toBe(
      'approve refused: "oncall-lead" with this key may not decide on this incident',
    );
    await handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', planId, { signer: rotated })] });
    const c = await closeIncident(handle, lab);
    await recordHistory(env.conn.client, handle, 'signed-key-rotated');
    return c;
  });
  expect(closed.result.outcome).toBe('healed');
  expect(closed.result.approvals[0]?.proof?.publicKey).toBe(rotated.publicKey);
});

test('no execution without a lease, whatever the approval state: an approved repair re-validated without one escalates and runs nothing', async () => {
  const pipeline = uniqueName('no-lease');
  const lab = env.track(await createLab({ pipeline }));
  // A re-validation that allows but hands out no lease (the path where an approval no longer counted did exactly this).
  lab.activities.revalidate = async () => ({ verdict: 'allow', reasons: ['re-validated without a lease (test)'] });

  const closed = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    const waiting = await waitForState(handle, (s) => s.awaitingApproval);
    await handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', waiting.plan!.planId)] });
    const c = await closeIncident(handle, lab);
    await recordHistory(env.conn.client, handle, 'execute-without-lease-escalated');
    return c;
  });
  expect(closed.result.outcome).toBe('escalated');
  expect(applications(lab)).toEqual({});
  expect(await lab.kb.listActuations({ incidentId: closed.id })).toEqual([]);
  expect(closed.timeline.find((e) => e.event === 'escalating to a human')?.detail).toBe(
    'scale-out on sink not run: re-validation granted no remediation lease (verdict allow: re-validated without a lease (test))',
  );
});

test("a starter's active mode does not override the policy's shadow mode; the ignored override is in the timeline", async () => {
  const pipeline = uniqueName('starter-mode');
  const lab = env.track(await createLab({ pipeline, policyYaml: labPolicy(pipeline).replace('    mode: active', '    mode: shadow') }));
  const closed = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { mode: 'active' }));
    const c = await closeIncident(handle, lab);
    await recordHistory(env.conn.client, handle, 'starter-mode-override-ignored');
    return c;
  });
  expect(closed.result.outcome).toBe('shadowed');
  expect(applications(lab)).toEqual({});
  expect(closed.timeline.filter((e) => e.event === 'starter override ignored').map((e) => e.detail)).toEqual([
    'the starter asked for active mode; the policy says shadow for this fault, and shadow stands',
  ]);
});
