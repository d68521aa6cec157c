/**
 * A worker that dies at any point inside execute leaves the repair applied exactly once and
 * recorded exactly once. For each point of `EXECUTE_POINTS` (before the actuation is recorded,
 * after it, after the effect, inside the commit transaction, after the commit) one incident runs
 * on a worker process that SIGKILLs itself there (its fault hook, set only by the test worker);
 * a second worker process takes the retried activity after the heartbeat timeout and finishes
 * the incident. Then: one line at the actuator, one completed actuation, one action-history row
 * (what cooldown, rate-limit and loop rules count) and one `execute.scale-out` audit row. The
 * five incidents run side by side on the real dev server, each with its own lab and task queue.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXECUTE_POINTS, type ExecutePoint } from '../../activities/deps';
import { resourceOf } from '../../policies/safety';
import { actuatorLines } from '../fixtures/templates/file-actuator';
import { crashMarker } from '../fixtures/workers/crash-marker';
import type { LabWorkerConfig } from '../fixtures/workers/lab-worker';
import { testTemporalAddress } from '../support/services';
import { killAll, startWorkerProcess, stopWorkerProcess } from '../support/worker-process';
import { connectDevServer, incidentBundle, manualInput, uniqueName } from './helpers';
import { closeIncident, expectCompleteExplanation, startIncident, type ClosedIncident } from './incident-harness';
import { createLab, labPolicy, type Lab } from './lab';

jest.setTimeout(240_000);

const WORKER_ENTRY = path.join(__dirname, '../fixtures/workers/lab-worker.ts');

let conn: Awaited<ReturnType<typeof connectDevServer>>;
const labs: Lab[] = [];
const children: ChildProcess[] = [];
beforeAll(async () => {
  conn = await connectDevServer(testTemporalAddress());
});
afterAll(async () => {
  killAll(children);
  for (const l of labs) await l.close();
  await conn?.close();
});

interface CrashRun {
  point: ExecutePoint;
  lab: Lab;
  pipeline: string;
  closed: ClosedIncident;
  firstExit: string | null;
  executeAttempt: number;
}

async function crashAt(point: ExecutePoint, bundlePath: string): Promise<CrashRun> {
  const pipeline = uniqueName(`crash-${point}`);
  const lab = await createLab({ pipeline });
  labs.push(lab);
  const policyFile = path.join(lab.dir, 'policy.yaml');
  fs.writeFileSync(policyFile, labPolicy(pipeline));
  const base: Omit<LabWorkerConfig, 'identity'> = { dir: lab.dir, policyFile, baseUrl: lab.baseUrl, temporalAddress: testTemporalAddress(), taskQueue: uniqueName('tq'), bundlePath };

  const crashing: LabWorkerConfig = { ...base, identity: `crash-${point}-1`, crashAt: point };
  const first = await startWorkerProcess(WORKER_ENTRY, crashing, children);
  // A short heartbeat timeout: the retry of the dead worker's activity comes within seconds.
  const handle = await startIncident(conn.client, base.taskQueue, manualInput(pipeline, 'sink', { timing: { heartbeatTimeoutMs: 3_000 } }));
  await first.exited;
  const second = await startWorkerProcess(WORKER_ENTRY, { ...base, identity: `crash-${point}-2` }, children);
  try {
    const closed = await closeIncident(handle, lab);
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'execute');
    const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString());
    return { point, lab, pipeline, closed, firstExit: first.child.signalCode, executeAttempt: started?.activityTaskStartedEventAttributes?.attempt ?? 0 };
  } catch (err) {
    process.stderr.write(`${point}: second worker output:\n${second.output()}\n`);
    throw err;
  } finally {
    await stopWorkerProcess(second);
  }
}

test('a worker SIGKILLed at each point inside execute: the effect is applied once and recorded once', async () => {
  const bundlePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hs-crash-bundle-')), 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, (await incidentBundle()).code);
  const runs = await Promise.all(EXECUTE_POINTS.map((point) => crashAt(point, bundlePath)));

  for (const r of runs) {
    const { lab, closed } = r;
    const resource = resourceOf(r.pipeline, 'sink');
    // The first worker really died at that point, and the activity was retried elsewhere.
    expect({ point: r.point, exit: r.firstExit, marker: fs.existsSync(crashMarker(lab.dir, r.point)) }).toEqual({ point: r.point, exit: 'SIGKILL', marker: true });
    expect({ point: r.point, retried: r.executeAttempt >= 2 }).toEqual({ point: r.point, retried: true });
    expect({ point: r.point, outcome: closed.result.outcome }).toEqual({ point: r.point, outcome: 'healed' });

    const executions = (await lab.kb.listActuations({ incidentId: closed.id })).filter((a) => a.step === 'execute');
    const history = (await lab.kb.recentActions({ since: 0, resource })).filter((a) => a.incidentId === closed.id);
    const audit = (await lab.kb.listAudit({ subject: closed.id })).filter((a) => a.action === 'execute.scale-out');
    expect({
      point: r.point,
      applied: actuatorLines(lab.dir, 'scale-out').length,
      actuations: executions.map((a) => a.status),
      historyRows: history.length,
      auditRows: audit.length,
    }).toEqual({ point: r.point, applied: 1, actuations: ['done'], historyRows: 1, auditRows: 1 });
    expect(await lab.kb.verifyAuditChain()).toMatchObject({ ok: true });
    expectCompleteExplanation(closed);
  }
});
