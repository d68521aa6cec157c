/**
 * The detect stage's confirmation window, on the real dev server: a health-triggered incident
 * waits `timing.confirmMs` and probes once. A blip that recovered closes quietly
 * (resolved-itself, nothing planned); an anomaly that persists goes on to diagnosis and repair.
 */
import type { IncidentInput } from '../../workflows/shared';
import { manualInput, uniqueName } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, stagesOf, startIncident, useIncidentEnv, withWorker } from './incident-harness';
import { createLab, type Lab } from './lab';

jest.setTimeout(60_000);

const env = useIncidentEnv();

function healthTriggered(pipeline: string): IncidentInput {
  const at = new Date().toISOString();
  return manualInput(pipeline, 'sink', {
    trigger: { kind: 'health', detail: 'fused health of sink fell to 0.31 (open threshold 0.5)', at },
    evidence: [{ at, source: 'sentinel', summary: 'health 0.31', health: 0.31 }],
    timing: { confirmMs: 300 },
  });
}

async function run(lab: Lab, pipeline: string, fixture: string) {
  return withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, healthTriggered(pipeline));
    const c = await closeIncident(handle, lab);
    await recordHistory(env.conn.client, handle, fixture);
    return c;
  });
}

test('a blip that recovers during the confirmation window closes as resolved-itself, with nothing planned', async () => {
  const pipeline = uniqueName('blip');
  const lab = env.track(await createLab({ pipeline }));
  const closed = await run(lab, pipeline, 'detect-confirmation-resolved');
  expect(closed.result.outcome).toBe('resolved-itself');
  expect(stagesOf(closed.timeline)).toEqual(['detect', 'learn', 'closed']);
  expect(closed.explanation).toMatchObject({ cause: 'transient anomaly', action: 'none', verification: 'health recovered during the confirmation window' });
  expect(applications(lab)).toEqual({});
  expectCompleteExplanation(closed);
});

test('an anomaly that persists through the confirmation window is diagnosed and repaired', async () => {
  const pipeline = uniqueName('persists');
  const lab = env.track(await createLab({ pipeline }));
  lab.healthScript.set('sink', ['fail', 'pass']);
  const closed = await run(lab, pipeline, 'detect-confirmation-persists');
  expect(closed.result.outcome).toBe('healed');
  expect(stagesOf(closed.timeline)).toEqual(['detect', 'diagnose', 'plan', 'execute', 'verify', 'learn', 'closed']);
  expect(applications(lab)).toEqual({ 'scale-out': 1 });
  expectCompleteExplanation(closed);
});
