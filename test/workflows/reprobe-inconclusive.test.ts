/**
 * The `reprobe-inconclusive-verification` patch: an inconclusive verification is probed once
 * more after another settle window before a human is called. New incidents take the new path;
 * a history recorded before the patch (inconclusive → escalated at once) still replays.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createIncidentWorker } from '../../workers/worker';
import { incidentWorkflowId, type IncidentState } from '../../workflows/shared';
import { testTemporalAddress } from '../support/services';
import { connectDevServer, incidentBundle, manualInput, uniqueName } from './helpers';
import { createLab, type Lab } from './lab';

const HISTORIES = path.join(__dirname, '../fixtures/histories');
let conn: Awaited<ReturnType<typeof connectDevServer>>;
let lab: Lab;
const pipeline = uniqueName('reprobe');

beforeAll(async () => {
  conn = await connectDevServer(testTemporalAddress());
  lab = await createLab({ pipeline });
});
afterAll(async () => {
  await conn?.close();
  await lab?.close();
});

test('an inconclusive verification is probed again and the incident heals', async () => {
  lab.healthScript.set('enrich', ['inconclusive', 'pass']);
  const taskQueue = uniqueName('tq');
  const worker = await createIncidentWorker({ connection: conn.native, taskQueue, activities: lab.activities, audit: lab.kb, workflowBundle: await incidentBundle() });
  const workflowId = incidentWorkflowId(pipeline, 'enrich');
  const result: IncidentState = await worker.runUntil(
    conn.client.workflow.execute('incidentWorkflow', { taskQueue, workflowId, args: [manualInput(pipeline, 'enrich', { faultClass: 'lag' })] }),
  );
  expect(result.outcome).toBe('healed');
  expect(result.explanation.verification).toMatch(/pass/);
  const history = await conn.client.workflow.getHandle(workflowId).fetchHistory();
  if (process.env.HOMEOSTAT_RECORD_HISTORIES === '1') {
    fs.writeFileSync(path.join(HISTORIES, 'reprobe-inconclusive.json'), `${JSON.stringify(history)}\n`);
  }
  await Worker.runReplayHistory({ workflowBundle: await incidentBundle() }, history, workflowId);
});

test('a history recorded before the patch (inconclusive → escalated) replays on the patched workflow', async () => {
  const file = path.join(HISTORIES, 'pre-patch-inconclusive-escalated.json');
  const history = temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>);
  await Worker.runReplayHistory({ workflowBundle: await incidentBundle() }, history, 'pre-patch-inconclusive-escalated');
});
