/**
 * The Temporal server dies mid-repair: a dev server of this test's own, persisting to a SQLite
 * file, is SIGKILLed while the execute activity of an incident is running on a worker process,
 * then started again on the same file and port. The worker reconnects, the incident completes
 * healed, and the side effect was applied once and recorded once. All real processes: the
 * `temporal` dev server, the worker (test/fixtures/workers/lab-worker.ts) and this test.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDevServer, type DevServerHandle } from '../../infra/dev-server';
import { freePorts } from '../../infra/ports';
import { resourceOf } from '../../policies/safety';
import type { IncidentState } from '../../workflows/shared';
import { actuatorLines } from '../fixtures/templates/file-actuator';
import type { LabWorkerConfig } from '../fixtures/workers/lab-worker';
import { waitUntil } from '../simulator/support';
import { killAll, startWorkerProcess, stopWorkerProcess } from '../support/worker-process';
import { connectDevServer, incidentBundle, manualInput, uniqueName } from '../workflows/helpers';
import { startIncident } from '../workflows/incident-harness';
import { createLab, labPolicy, type Lab } from '../workflows/lab';

jest.setTimeout(180_000);

const WORKER_ENTRY = path.join(__dirname, '../fixtures/workers/lab-worker.ts');
const REPAIR_MS = 6_000;

let server: DevServerHandle | undefined;
let lab: Lab | undefined;
const children: ChildProcess[] = [];
afterAll(async () => {
  killAll(children);
  await server?.stop();
  await lab?.close();
});

test('SIGKILL of the Temporal dev server mid-repair, restart on the same database: the incident completes, the effect applied once', async () => {
  const pipeline = uniqueName('server-kill');
  lab = await createLab({ pipeline });
  const dbFile = path.join(lab.dir, 'temporal.db');
  const [port] = await freePorts(1);
  server = await startDevServer({ dbFile, port });

  const policyFile = path.join(lab.dir, 'policy.yaml');
  fs.writeFileSync(policyFile, labPolicy(pipeline));
  const bundlePath = path.join(lab.dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, (await incidentBundle()).code);
  const config: LabWorkerConfig = {
    dir: lab.dir,
    policyFile,
    baseUrl: lab.baseUrl,
    temporalAddress: server.address,
    taskQueue: uniqueName('tq'),
    bundlePath,
    identity: 'server-kill-worker',
    slowMs: { 'scale-out': REPAIR_MS },
  };
  const worker = await startWorkerProcess(WORKER_ENTRY, config, children);

  let conn = await connectDevServer(server.address);
  const handle = await startIncident(conn.client, config.taskQueue, manualInput(pipeline, 'sink', { timing: { heartbeatTimeoutMs: 4_000 } }));
  const workflowId = handle.workflowId;
  await conn.close();

  // The repair is running (its actuation is recorded, not done): the server dies now.
  await waitUntil('the repair to be running', async () => (await lab!.kb.listActuations({ incidentId: workflowId })).some((a) => a.status === 'started'), 60_000, 100);
  expect(actuatorLines(lab.dir, 'scale-out')).toHaveLength(0);
  await server.kill();

  server = await startDevServer({ dbFile, port });
  conn = await connectDevServer(server.address);
  try {
    const result = (await conn.client.workflow.getHandle(workflowId).result()) as IncidentState;
    expect(result.outcome).toBe('healed');
    expect(actuatorLines(lab.dir, 'scale-out')).toHaveLength(1);
    const executions = (await lab.kb.listActuations({ incidentId: workflowId })).filter((a) => a.step === 'execute');
    expect(executions.map((a) => a.status)).toEqual(['done']);
    expect((await lab.kb.recentActions({ since: 0, resource: resourceOf(pipeline, 'sink') })).filter((a) => a.incidentId === workflowId)).toHaveLength(1);
    expect((await lab.kb.listAudit({ subject: workflowId })).filter((a) => a.action === 'execute.scale-out')).toHaveLength(1);
    expect((await lab.kb.casesForIncident(workflowId)).map((c) => c.outcome)).toEqual(['healed']);
  } catch (err) {
    process.stderr.write(`worker output:\n${worker.output()}\nserver log: ${server.logFile}\n`);
    throw err;
  } finally {
    await conn.close();
    await stopWorkerProcess(worker);
  }
});
