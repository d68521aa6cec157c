/**
 * On the time-skipping server: an approval that never comes times out after the configured
 * hour and the incident escalates to a human through the webhook — without waiting an hour.
 */
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { createIncidentWorker } from '../../workers/worker';
import { incidentWorkflowId, type IncidentState } from '../../workflows/shared';
import { incidentBundle, manualInput, timeSkippingEnv, uniqueName } from './helpers';
import { createLab, type Lab } from './lab';

let env: TestWorkflowEnvironment;
let lab: Lab;
beforeAll(async () => {
  env = await timeSkippingEnv();
  lab = await createLab({ pipeline: 'timeout-pipe' });
});
afterAll(async () => {
  await env?.teardown();
  await lab?.close();
});

test('an approval that never comes times out after the configured hour and escalates', async () => {
  const taskQueue = uniqueName('tq');
  const worker = await createIncidentWorker({
    connection: env.nativeConnection,
    taskQueue,
    activities: lab.activities,
    audit: lab.kb,
    workflowBundle: await incidentBundle(),
  });
  let wallMs = 0;
  const result: IncidentState = await worker.runUntil(async () => {
    const started = Date.now();
    const r = await env.client.workflow.execute('incidentWorkflow', {
      taskQueue,
      workflowId: incidentWorkflowId('timeout-pipe', uniqueName('sink')),
      args: [manualInput('timeout-pipe', 'sink', { requireApproval: true })],
    });
    wallMs = Date.now() - started;
    return r;
  });
  // Reported, never asserted: wall-clock figures belong to benchmarks.
  process.stderr.write(`approval timeout of 1 h reached in ${wallMs} ms of wall time\n`);

  expect(result.outcome).toBe('escalated');
  expect(result.awaitingApproval).toBe(false);
  expect(result.explanation.impact).toMatch(/no approval within 3600 s/);
  expect(lab.escalations).toHaveLength(1);
  expect(lab.escalations[0]).toMatchObject({ type: 'homeostat.escalation', pipeline: 'timeout-pipe', component: 'sink' });
});
