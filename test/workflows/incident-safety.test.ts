/**
 * The safety layer's history rules on the real dev server: cooldown, rate limit and loop
 * detection each deny an action with reasons, the denied action is never applied, and the
 * decision glue falls back to the next rung safety allows (ending with escalate). Also the
 * re-validation right before executing: a rule that starts to deny during the approval wait
 * stops the approved action.
 */
import { resourceOf } from '../../policies/safety';
import { approveUpdate } from '../../workflows/shared';
import { manualInput, uniqueName, waitForState } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, startIncident, withWorker, type ClosedIncident, useIncidentEnv } from './incident-harness';
import { createLab, labPolicy, type Lab } from './lab';
import { signedApproval } from './signing';

jest.setTimeout(60_000);

const MINUTE = 60_000;

const env = useIncidentEnv();

async function runIncident(l: Lab, pipeline: string, component: string, fixture?: string): Promise<ClosedIncident> {
  return withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, component));
    const closed = await closeIncident(handle, l);
    if (fixture) await recordHistory(env.conn.client, handle, fixture);
    return closed;
  });
}

test('cooldown: scale-out ran on the resource a minute ago → vetoed with the reason, load-shedding runs instead', async () => {
  const pipeline = uniqueName('cooldown');
  const lab = env.track(await createLab({ pipeline }));
  const resource = resourceOf(pipeline, 'sink');
  await lab.kb.recordAction({ at: Date.now() - MINUTE, pipeline, resource, action: 'scale-out', incidentId: 'incident/earlier' });

  const closed = await runIncident(lab, pipeline, 'sink', 'safety-cooldown');

  expect(closed.result.outcome).toBe('healed');
  expect(closed.result.plan?.action).toBe('load-shedding');
  expect(applications(lab)).toEqual({ 'load-shedding': 1 });
  const veto = expect.stringMatching(new RegExp(`^safety vetoed scale-out: scale-out ran on ${resource} \\d+m?s ago; cooldown is 600s$`));
  expect(closed.result.plan?.reasons).toEqual(expect.arrayContaining([veto]));
  expect(closed.cases[0]!.plan).toMatchObject({ action: 'load-shedding', reasons: expect.arrayContaining([veto]) });
  // The explanation tells why the preferred action did not run.
  expect(closed.explanation.action).toMatch(/cooldown/);
  expectCompleteExplanation(closed);
});

test('rate limit: after one repair in the pipeline within the hour, every automated rung is vetoed → escalated', async () => {
  const pipeline = uniqueName('ratelimit');
  const lab = env.track(await createLab({
    pipeline,
    policyYaml: labPolicy(pipeline).replace('rateLimit: { maxActions: 50, window: 1h }', 'rateLimit: { maxActions: 1, window: 1h }'),
  }));

  // Back to back: the first incident (on another component) uses the pipeline's only repair…
  const first = await runIncident(lab, pipeline, 'enrich');
  expect(first.result.outcome).toBe('healed');
  expect(applications(lab)).toEqual({ 'scale-out': 1 });

  // …so the second is denied every automated rung and goes to a human.
  const closed = await runIncident(lab, pipeline, 'sink', 'safety-rate-limit');
  expect(closed.result.outcome).toBe('escalated');
  expect(closed.result.plan?.action).toBe('escalate');
  expect(applications(lab)).toEqual({ 'scale-out': 1 });
  expect(await lab.kb.listActuations({ incidentId: closed.id })).toEqual([]);
  const limit = `1 remediation(s) in pipeline ${pipeline} within 3600s (limit 1)`;
  expect(closed.result.plan?.reasons).toEqual(
    expect.arrayContaining([`safety vetoed scale-out: ${limit}`, `safety vetoed load-shedding: ${limit}`]),
  );
  expect(closed.explanation.impact).toContain(`escalated to a human: `);
  expect(closed.explanation.impact).toContain(`safety vetoed scale-out: ${limit}`);
  expect(lab.escalations).toHaveLength(1);
  expect(lab.escalations[0]).toMatchObject({ incidentId: closed.id, reason: expect.stringContaining(`safety vetoed load-shedding: ${limit}`) });
  expectCompleteExplanation(first);
  expectCompleteExplanation(closed);
});

test('loop detection: scale-out ran three times on the resource within the hour → vetoed as a loop, never applied', async () => {
  const pipeline = uniqueName('loop');
  const lab = env.track(await createLab({ pipeline }));
  const resource = resourceOf(pipeline, 'sink');
  // Outside the 10 min cooldown, inside the 1 h loop window (maxRepeats 3).
  for (const ago of [50, 40, 30]) {
    await lab.kb.recordAction({ at: Date.now() - ago * MINUTE, pipeline, resource, action: 'scale-out', incidentId: `incident/earlier-${ago}` });
  }

  const closed = await runIncident(lab, pipeline, 'sink', 'safety-loop');

  const loop = `safety vetoed scale-out: scale-out already ran 3 time(s) on ${resource} within 3600s: loop detected, escalate to a human`;
  expect(closed.result.plan?.reasons).toEqual(expect.arrayContaining([loop]));
  expect(closed.result.plan?.reasons.join('\n')).not.toMatch(/cooldown is/);
  expect(applications(lab)['scale-out']).toBeUndefined();
  // What the glue actually does: the loop rule vetoes scale-out only; the next allowed rung runs.
  expect(closed.result.plan?.action).toBe('load-shedding');
  expect(closed.result.outcome).toBe('healed');
  expect(applications(lab)).toEqual({ 'load-shedding': 1 });
  expect(closed.explanation.action).toMatch(/loop detected/);
  expectCompleteExplanation(closed);
});

test('re-validation: a cooldown that starts during the approval wait stops the approved action → escalated, nothing applied', async () => {
  const pipeline = uniqueName('revalidate');
  const l = await createLab({ pipeline });
  env.track(l);
  const resource = resourceOf(pipeline, 'sink');

  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }));
    const waiting = await waitForState(handle, (s) => s.awaitingApproval);
    expect(waiting.plan?.action).toBe('scale-out');
    // Meanwhile someone else scaled the sink out.
    await l.kb.recordAction({ at: Date.now(), pipeline, resource, action: 'scale-out', incidentId: 'incident/someone-else' });
    await handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', waiting.plan!.planId)] });
    const c = await closeIncident(handle, l);
    await recordHistory(env.conn.client, handle, 'safety-revalidation-denied');
    return c;
  });

  expect(closed.result.outcome).toBe('escalated');
  expect(applications(l)).toEqual({});
  expect(await l.kb.listActuations({ incidentId: closed.id })).toEqual([]);
  expect(closed.explanation.impact).toMatch(new RegExp(`re-validation denied scale-out: scale-out ran on ${resource} \\d+m?s ago; cooldown is 600s`));
  expect(l.escalations).toHaveLength(1);
  expectCompleteExplanation(closed);
});
