/**
 * The escalation ladder on the real dev server. For lag the lab policy's ladder is
 * scale-out → load-shedding → escalate, and with no past cases the engine's order follows it.
 * A failed verification climbs to the next rung; when no automated rung is left (or the
 * policy's attempt bound is reached) a human gets the incident through the webhook.
 */
import { manualInput, uniqueName } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, startIncident, withWorker, type ClosedIncident, useIncidentEnv } from './incident-harness';
import { createLab, labPolicy, type Lab } from './lab';

jest.setTimeout(60_000);

const env = useIncidentEnv();

async function runLagIncident(l: Lab, pipeline: string, fixture: string): Promise<ClosedIncident> {
  return withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink'));
    const closed = await closeIncident(handle, l);
    await recordHistory(env.conn.client, handle, fixture);
    return closed;
  });
}

test('verification fails after scale-out → load-shedding is planned, executed and verified → healed', async () => {
  const pipeline = uniqueName('ladder');
  const lab = env.track(await createLab({ pipeline }));
  // Verification probes until stable: scale-out fails throughout its verification, later rungs pass.
  lab.healthScript.set('sink/scale-out', ['fail']);

  const closed = await runLagIncident(lab, pipeline, 'ladder-next-rung');

  expect(closed.result.outcome).toBe('healed');
  expect(closed.result.attempts).toBe(2);
  expect(closed.result.plan?.action).toBe('load-shedding');
  // Each rung applied exactly once, in ladder order.
  expect(applications(lab)).toEqual({ 'scale-out': 1, 'load-shedding': 1 });
  const actuations = await lab.kb.listActuations({ incidentId: closed.id });
  expect(actuations.map((a) => [a.action, a.attempt, a.status])).toEqual([
    ['scale-out', 1, 'done'],
    ['load-shedding', 2, 'done'],
  ]);
  const events = closed.timeline.map((e) => e.event);
  expect(events).toEqual(
    expect.arrayContaining(['planned scale-out', 'scale-out done', 'verification fail', 'planned load-shedding', 'load-shedding done', 'verification pass']),
  );
  expect(events.indexOf('verification fail')).toBeLessThan(events.indexOf('planned load-shedding'));
  // The second plan was made without the rung already tried.
  expect(closed.result.plan?.alternatives.map((a) => a.action)).not.toContain('scale-out');
  expect(closed.explanation.verification).toMatch(/^load-shedding: pass/);
  expect(lab.escalations).toEqual([]);
  expectCompleteExplanation(closed);
  expect(closed.cases[0]).toMatchObject({
    outcome: 'healed',
    action: 'load-shedding',
    attempts: [
      { action: 'scale-out', verification: 'fail' },
      { action: 'load-shedding', verification: 'pass' },
    ],
  });
});

test('every automated rung fails verification → the ladder ends in escalate and a human is paged', async () => {
  const pipeline = uniqueName('exhaust');
  const lab = env.track(await createLab({ pipeline }));
  lab.healthScript.set('sink', ['fail']);

  const closed = await runLagIncident(lab, pipeline, 'ladder-exhausted');

  expect(closed.result.outcome).toBe('escalated');
  expect(applications(lab)).toEqual({ 'scale-out': 1, 'load-shedding': 1 });
  expect(closed.result.plan?.action).toBe('escalate');
  // The explanation says why a human was asked: every automated rung was tried and failed.
  expect(closed.explanation.impact).toMatch(/escalated to a human: no automated repair is feasible for lag/);
  expect(closed.explanation.impact).toContain('scale-out excluded: already tried in this incident');
  expect(closed.explanation.impact).toContain('load-shedding excluded: already tried in this incident');
  expect(lab.escalations).toHaveLength(1);
  expect(lab.escalations[0]).toMatchObject({ type: 'homeostat.escalation', incidentId: closed.id, pipeline, component: 'sink' });
  expectCompleteExplanation(closed);
  expect(closed.cases[0]).toMatchObject({
    outcome: 'escalated',
    attempts: [
      { action: 'scale-out', verification: 'fail' },
      { action: 'load-shedding', verification: 'fail' },
    ],
  });
});

test('the policy bounds the attempts: after verification.maxAttempts failed rungs the ladder is exhausted', async () => {
  const pipeline = uniqueName('bounded');
  const lab = env.track(await createLab({
    pipeline,
    policyYaml: labPolicy(pipeline).replace('verification: { settle: 1s, maxAttempts: 3,', 'verification: { settle: 1s, maxAttempts: 2,'),
  }));
  lab.healthScript.set('sink', ['fail']);

  const closed = await runLagIncident(lab, pipeline, 'ladder-bounded');

  expect(closed.result.outcome).toBe('escalated');
  expect(applications(lab)).toEqual({ 'scale-out': 1, 'load-shedding': 1 });
  expect(closed.explanation.impact).toContain('escalated to a human: escalation ladder exhausted after scale-out, load-shedding');
  expect(closed.timeline.map((e) => e.event)).toContain('escalating to a human');
  expect(lab.escalations).toHaveLength(1);
  expect(lab.escalations[0]).toMatchObject({ reason: 'escalation ladder exhausted after scale-out, load-shedding' });
  expectCompleteExplanation(closed);
});

test('an inconclusive verification goes to a human instead of climbing the ladder', async () => {
  const pipeline = uniqueName('inconclusive');
  const lab = env.track(await createLab({ pipeline }));
  lab.healthScript.set('sink', ['inconclusive']);

  const closed = await runLagIncident(lab, pipeline, 'verify-inconclusive');

  expect(closed.result.outcome).toBe('escalated');
  // The repair ran once; no further rung was tried on an undecided verification.
  expect(applications(lab)).toEqual({ 'scale-out': 1 });
  expect(closed.timeline.map((e) => e.event)).not.toContain('planned load-shedding');
  expect(closed.explanation.verification).toMatch(/^scale-out: inconclusive/);
  expect(closed.explanation.impact).toContain('escalated to a human: verification of scale-out was inconclusive');
  expect(lab.escalations).toHaveLength(1);
  expectCompleteExplanation(closed);
  expect(closed.cases[0]).toMatchObject({ outcome: 'escalated', attempts: [{ action: 'scale-out', verification: 'inconclusive' }] });
});
