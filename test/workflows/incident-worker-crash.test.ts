/**
 * SIGKILL of the worker process in the middle of execute, on the real dev server. The worker
 * runs in its own OS process (test/fixtures/workers/lab-worker.ts) on the test's lab directory;
 * once the actuator activity is running (its actuation is recorded as `started` and it
 * heartbeats), the process is killed with SIGKILL. A second worker process picks up the retry
 * after the heartbeat timeout, and the incident completes healed with the side effect applied
 * exactly once, as counted at the actuator.
 *
 * The workflow's execute heartbeat timeout is 30 s and not configurable per incident, so this
 * test waits about that long.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { actuatorLines } from '../fixtures/templates/file-actuator';
import type { LabWorkerConfig } from '../fixtures/workers/lab-worker';
import { testTemporalAddress } from '../support/services';
import { killAll, startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { connectDevServer, incidentBundle, manualInput, uniqueName } from './helpers';
import { closeIncident, expectCompleteExplanation, recordHistory, startIncident } from './incident-harness';
import { createLab, labPolicy, type Lab } from './lab';

jest.setTimeout(120_000);

const WORKER_ENTRY = path.join(__dirname, '../fixtures/workers/lab-worker.ts');
const SLOW_MS = 5_000;

let conn: Awaited<ReturnType<typeof connectDevServer>>;
let lab: Lab | undefined;
const children: ChildProcess[] = [];
beforeAll(async () => {
  conn = await connectDevServer(testTemporalAddress());
});
afterAll(async () => {
  // Whatever happened, no worker process outlives the test.
  killAll(children);
  await lab?.close();
  await conn?.close();
});

const startWorker = (config: LabWorkerConfig): Promise<WorkerProcess> => startWorkerProcess(WORKER_ENTRY, config, children);

test('SIGKILL of the worker process in the middle of execute: a new worker completes the incident, the effect applied exactly once', async () => {
  const pipeline = uniqueName('crash');
  const l = await createLab({ pipeline });
  lab = l;
  const policyFile = path.join(l.dir, 'policy.yaml');
  fs.writeFileSync(policyFile, labPolicy(pipeline));
  const bundlePath = path.join(l.dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, (await incidentBundle()).code);
  const taskQueue = uniqueName('tq');
  const base = { dir: l.dir, policyFile, baseUrl: l.baseUrl, temporalAddress: testTemporalAddress(), taskQueue, bundlePath, slowMs: { 'scale-out': SLOW_MS } };

  const first = await startWorker({ ...base, identity: 'lab-worker-1' });
  const handle = await startIncident(conn.client, taskQueue, manualInput(pipeline, 'sink'));

  // Wait until the actuator activity is running: its actuation is recorded, not yet done.
  let started = false;
  for (let i = 0; i < 300 && !started; i++) {
    const actuations = await l.kb.listActuations({ incidentId: handle.workflowId });
    started = actuations.some((a) => a.action === 'scale-out' && a.status === 'started');
    if (!started) await new Promise((r) => setTimeout(r, 100));
  }
  expect(started).toBe(true);
  await new Promise((r) => setTimeout(r, 500));
  first.child.kill('SIGKILL');
  await first.exited;
  expect(first.child.signalCode).toBe('SIGKILL');
  // Killed in the middle: the effect had not been applied yet.
  expect(actuatorLines(l.dir, 'scale-out')).toHaveLength(0);

  const second = await startWorker({ ...base, identity: 'lab-worker-2' });
  try {
    const closed = await closeIncident(handle, l);
    expect(closed.result.outcome).toBe('healed');
    expect(closed.result.plan?.action).toBe('scale-out');

    // Exactly once at the actuator, and one actuation record, completed.
    expect(actuatorLines(l.dir, 'scale-out')).toHaveLength(1);
    const actuations = await l.kb.listActuations({ incidentId: handle.workflowId });
    expect(actuations.map((a) => [a.action, a.status])).toEqual([['scale-out', 'done']]);
    expect(closed.explanation.impact).toBe('applied=true');

    // The execute activity ran a second attempt, on the second worker, after a heartbeat timeout.
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'execute');
    const startedEvent = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString());
    expect(startedEvent?.activityTaskStartedEventAttributes).toMatchObject({ attempt: 2, identity: 'lab-worker-2' });
    expect(startedEvent?.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(
      temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
    );
    expectCompleteExplanation(closed);
    await recordHistory(conn.client, handle, 'worker-sigkill-during-execute');
  } catch (err) {
    process.stderr.write(`second worker output:\n${second.output()}\n`);
    throw err;
  } finally {
    await stopWorkerProcess(second);
  }
});
