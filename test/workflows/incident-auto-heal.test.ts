/**
 * The auto-approved low-risk path on the real dev server: a lag incident on a component without
 * sensitive data needs no approval, executes the engine's choice once, verifies, heals, and
 * explains itself in the query, the memo and the knowledge base.
 */
import { temporal } from '@temporalio/proto';
import type { RepairAction } from '../../policies/taxonomy';
import { manualInput, uniqueName } from './helpers';
import { applications, closeIncident, eventTypes, expectCompleteExplanation, recordHistory, stagesOf, startIncident, withWorker, useIncidentEnv } from './incident-harness';
import { createLab } from './lab';

jest.setTimeout(60_000);

const env = useIncidentEnv();

test('a low-risk incident is planned, executed once without approval, verified and healed', async () => {
  const pipeline = uniqueName('auto');
  const lab = env.track(await createLab({ pipeline }));
  const l = lab;

  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink'));
    const c = await closeIncident(handle, l);
    const types = await eventTypes(handle);
    // Nobody was asked: no update, no signal entered history.
    const { EventType } = temporal.api.enums.v1;
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    await recordHistory(env.conn.client, handle, 'auto-heal');
    return c;
  });

  const { result } = closed;
  expect(result.outcome).toBe('healed');
  expect(result.approvals).toEqual([]);
  expect(result.awaitingApproval).toBe(false);
  expect(result.attempts).toBe(1);
  expect(result.plan?.requiresApproval).toBe(false);
  expect(stagesOf(closed.timeline)).toEqual(['detect', 'diagnose', 'plan', 'execute', 'verify', 'learn', 'closed']);

  // The engine's first choice for lag ran exactly once, and nothing else ran.
  const action = result.plan!.action as RepairAction;
  expect(['scale-out', 'load-shedding']).toContain(action);
  expect(applications(l)).toEqual({ [action]: 1 });
  const actuations = await l.kb.listActuations({ incidentId: closed.id });
  expect(actuations.map((a) => [a.action, a.status])).toEqual([[action, 'done']]);

  expect(closed.explanation.action).toContain(`ran ${action} on sink`);
  expect(closed.explanation.verification).toMatch(new RegExp(`^${action}: pass`));
  expectCompleteExplanation(closed);
  expect(closed.cases[0]).toMatchObject({ outcome: 'healed', action, mode: 'active' });
});
