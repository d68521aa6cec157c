/**
 * Hand-over to the upstream root cause, on the real dev server: a null spike seen at the sink
 * while the sentinel reports the source anomalous too. The sink's incident finds the source as
 * the minimal anomalous upstream, passes its evidence to the source's incident (starting it) and
 * closes `handed-over`; the source's incident quarantines once and heals. One fault, one repair.
 * The same symptom reported again right after that heal does not start the source's incident
 * again. A crash seen at the sink in the same situation stays with the sink: it is the sink's own fault.
 */
import { incidentWorkflowId, type IncidentInput, type IncidentState } from '../../workflows/shared';
import { createIncidentWorker } from '../../workers/worker';
import { incidentBundle, uniqueName } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, startIncident, useIncidentEnv } from './incident-harness';
import { createLab } from './lab';

jest.setTimeout(90_000);

const env = useIncidentEnv();

function sentinelInput(pipeline: string, component: string, fault: 'null-spike' | 'crash'): IncidentInput {
  const at = new Date().toISOString();
  const hard = fault === 'crash';
  return {
    pipeline,
    component,
    trigger: hard ? { kind: 'hard-fault', detail: 'CRASHED (exit 1)', at } : { kind: 'health', detail: 'health 0.2 reached the open threshold 0.15', at },
    evidence: [{ at, source: 'sentinel', summary: hard ? 'CRASHED (exit 1)' : 'null rate of amount 0.6', faultHint: fault, health: 0.4, ...(hard ? { hardFault: true } : {}) }],
    faultClass: fault,
  };
}

test('a downstream symptom hands over to the incident of the anomalous upstream source, which repairs once', async () => {
  const pipeline = uniqueName('handover');
  const lab = await createLab({ pipeline, anomalous: ['source', 'enrich', 'sink'] });
  env.track(lab);
  const taskQueue = uniqueName('tq');
  const worker = await createIncidentWorker({ connection: env.conn.native, taskQueue, activities: lab.activities, audit: lab.kb, workflowBundle: await incidentBundle() });

  await worker.runUntil(async () => {
    const sink = await startIncident(env.conn.client, taskQueue, sentinelInput(pipeline, 'sink', 'null-spike'));
    const closedSink = await closeIncident(sink, lab);
    expect(closedSink.result.outcome).toBe('handed-over');
    expect(closedSink.result.explanation.cause).toMatch(/root cause upstream at source/);
    expect(closedSink.result.explanation.action).toMatch(new RegExp(`handed over to incident/${pipeline}/source`));
    expectCompleteExplanation(closedSink);

    const source = env.conn.client.workflow.getHandle(incidentWorkflowId(pipeline, 'source'));
    const closedSource = await closeIncident(source, lab);
    const s: IncidentState = closedSource.result;
    expect(s.outcome).toBe('healed');
    expect(s.faultClass).toBe('null-spike');
    expect(s.explanation.trigger).toMatch(/^hand-over: handed over from sink/);
    expect(s.explanation.action).toMatch(/ran quarantine on source/);
    expect(applications(lab)).toEqual({ quarantine: 1 });
    await recordHistory(env.conn.client, sink, 'hand-over-upstream');

    // The same symptom reported again right after the source's heal: the repaired root is not
    // started a second time (a second repair of a fault already repaired).
    const again = await startIncident(env.conn.client, taskQueue, sentinelInput(pipeline, 'sink', 'null-spike'));
    const closedAgain = await closeIncident(again, lab);
    expect(closedAgain.result.outcome).toBe('handed-over');
    const runs: string[] = [];
    for await (const w of env.conn.client.workflow.list({ query: `WorkflowId = '${incidentWorkflowId(pipeline, 'source')}'` })) runs.push(w.runId);
    expect(runs).toHaveLength(1);
    expect(applications(lab)).toEqual({ quarantine: 1 });
  });
});

test('a crash seen downstream stays with its own component even when upstream is anomalous', async () => {
  const pipeline = uniqueName('own-fault');
  const lab = await createLab({ pipeline, anomalous: ['source', 'sink'] });
  env.track(lab);
  const taskQueue = uniqueName('tq');
  const worker = await createIncidentWorker({ connection: env.conn.native, taskQueue, activities: lab.activities, audit: lab.kb, workflowBundle: await incidentBundle() });
  await worker.runUntil(async () => {
    const sink = await startIncident(env.conn.client, taskQueue, sentinelInput(pipeline, 'sink', 'crash'));
    const closed = await closeIncident(sink, lab);
    expect(closed.result.outcome).toBe('healed');
    expect(closed.result.explanation.action).toMatch(/ran microreboot on sink/);
  });
});
