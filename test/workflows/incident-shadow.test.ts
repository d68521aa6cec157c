/**
 * Shadow mode on the real dev server: the loop runs in full but execute only records the
 * would-do action. Nothing is applied, no action enters the history the safety rules read, and
 * the knowledge base keeps a shadow record and a case with the would-do action. Shadow mode is
 * asked for by the incident (`mode: 'shadow'`) or set by the policy (`mode: shadow`).
 */
import { resourceOf } from '../../policies/safety';
import type { IncidentInput } from '../../workflows/shared';
import { manualInput, uniqueName } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, stagesOf, startIncident, withWorker, useIncidentEnv } from './incident-harness';
import { createLab, labPolicy } from './lab';

jest.setTimeout(60_000);

const env = useIncidentEnv();

const cases: { name: string; fixture: string; policyMode: 'active' | 'shadow'; input: Partial<IncidentInput> }[] = [
  { name: 'asked for by the incident', fixture: 'shadow-by-input', policyMode: 'active', input: { mode: 'shadow' } },
  { name: 'set by the policy', fixture: 'shadow-by-policy', policyMode: 'shadow', input: {} },
];

test.each(cases)('shadow mode $name executes nothing and records the would-do action', async ({ fixture, policyMode, input }) => {
  const pipeline = uniqueName('shadow');
  const l = await createLab({ pipeline, policyYaml: labPolicy(pipeline).replace('    mode: active', `    mode: ${policyMode}`) });
  env.track(l);

  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', input));
    const c = await closeIncident(handle, l);
    await recordHistory(env.conn.client, handle, fixture);
    return c;
  });

  const { result } = closed;
  expect(result.outcome).toBe('shadowed');
  expect(result.mode).toBe('shadow');
  const wouldDo = result.plan!.action;
  // Exploration is allowed in shadow mode, so the engine may pick any automated rung of the ladder.
  expect(['scale-out', 'load-shedding']).toContain(wouldDo);
  // The loop ran through execute, but nothing was applied, no lease taken, no action recorded.
  expect(stagesOf(closed.timeline)).toEqual(['detect', 'diagnose', 'plan', 'execute', 'learn', 'closed']);
  expect(closed.timeline.map((e) => e.event)).toContain(`${wouldDo} recorded (shadow)`);
  expect(applications(l)).toEqual({});
  expect(await l.kb.listActuations({ incidentId: closed.id })).toEqual([]);
  expect(await l.kb.recentActions({ since: 0, resource: resourceOf(pipeline, 'sink') })).toEqual([]);
  expect(await l.kb.activeLeases()).toEqual([]);

  // The knowledge base keeps the would-do action: a shadow record and the case.
  const shadows = await l.kb.shadowRecords(pipeline, 'lag');
  // Keyed by the incident run: the workflow id repeats for every incident of the component.
  const runKey = `${closed.id}@${(await env.conn.client.workflow.getHandle(closed.id).describe()).runId}`;
  expect(shadows).toEqual([expect.objectContaining({ incidentId: runKey, pipeline, faultClass: 'lag', wouldDo })]);
  expect(closed.cases[0]).toMatchObject({ mode: 'shadow', outcome: 'shadowed', action: wouldDo, attempts: [] });
  expect(closed.explanation.action).toMatch(new RegExp(`^would run ${wouldDo} on sink`));
  expect(closed.explanation.verification).toBe('not run: shadow mode records the would-do action only');
  expectCompleteExplanation(closed);
});
