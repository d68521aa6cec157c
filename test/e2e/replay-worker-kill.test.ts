/**
 * A worker SIGKILLed in the middle of a replay from checkpoint, on a live pipeline: the incident
 * (late data at enrich) is approved, the first worker rewinds enrich and starts waiting for the
 * replay to drain, and dies. A second worker picks up the retried activity after the heartbeat
 * timeout, resumes without rewinding a second time, and the incident heals; the sink holds every
 * event exactly once (count and checksum). The workers are real OS processes on the real dev
 * server, acting on the pipeline through its control channel.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openKnowledgeBase } from '../../knowledge/open';
import { faultContextOf, injectFault } from '../../simulator/faults';
import { startPipeline, type PipelineHandle } from '../../simulator/pipeline';
import { waitForRepairPreconditions } from '../../simulator/readiness';
import { approveUpdate, stateQuery, type IncidentState } from '../../workflows/shared';
import type { PipelineWorkerConfig } from '../fixtures/workers/pipeline-worker';
import { tempPipelineDir, waitUntil } from '../simulator/support';
import { testTemporalAddress } from '../support/services';
import { killAll, startWorkerProcess, stopWorkerProcess } from '../support/worker-process';
import { connectDevServer, incidentBundle, manualInput, uniqueName } from '../workflows/helpers';
import { startIncident } from '../workflows/incident-harness';
import { signedApproval, testSigner } from '../workflows/signing';
import { registerKey } from '../../policies/keys';

jest.setTimeout(5 * 60_000);

const WORKER_ENTRY = path.join(__dirname, '../fixtures/workers/pipeline-worker.ts');

let conn: Awaited<ReturnType<typeof connectDevServer>>;
let p: PipelineHandle | undefined;
let dir: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  conn = await connectDevServer(testTemporalAddress());
  dir = tempPipelineDir('replay-kill');
  p = await startPipeline({ dir: path.join(dir, 'pipeline'), rate: 100 });
  await waitForRepairPreconditions(p);
});
afterAll(async () => {
  killAll(children);
  await p?.stop();
  await conn?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The worker's actuator log (the knowledge base file it shares with the test): steps by name. */
async function replaySteps(kbPath: string, incidentId: string): Promise<Map<string, { status: string; at: number }>> {
  const kb = openKnowledgeBase(kbPath);
  try {
    const rows = await kb.listActuations({ incidentId });
    return new Map(rows.map((a) => [a.idempotencyKey.includes('#') ? a.idempotencyKey.slice(a.idempotencyKey.indexOf('#') + 1) : 'whole', { status: a.status, at: a.completedAt ?? a.recordedAt }]));
  } finally {
    await kb.close();
  }
}

test('SIGKILL of the worker while the replay drains: a second worker finishes it, every event exactly once', async () => {
  const pipeline = p!;
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, (await incidentBundle()).code);
  const base: Omit<PipelineWorkerConfig, 'identity'> = {
    pipelineDir: pipeline.dir,
    kbPath: path.join(dir, 'worker-knowledge.db'),
    keysFile: path.join(dir, 'approver-keys.yaml'),
    temporalAddress: testTemporalAddress(),
    taskQueue: uniqueName('tq'),
    bundlePath,
    settleMs: 3_000,
  };
  registerKey(base.keysFile!, { identity: 'oncall-lead', publicKey: testSigner('oncall-lead').publicKey });
  const first = await startWorkerProcess(WORKER_ENTRY, { ...base, identity: 'pipeline-worker-1' }, children);

  // enrich runs at a third of the input rate for 25 s: the replay has a backlog to drain while the worker dies.
  await injectFault(faultContextOf(pipeline), { fault: 'slow-down', target: 'enrich', delayMs: 30, durationMs: 25_000 });
  const handle = await startIncident(conn.client, base.taskQueue, manualInput(pipeline.config.pipeline, 'enrich', { faultClass: 'late-data', severity: 'medium' }));

  // Replaying rewinds a stateful stage: the policy asks the lead.
  const waiting = await waitUntil('the replay plan to await approval', async () => {
    const s = await handle.query(stateQuery);
    return s.awaitingApproval ? s : undefined;
  });
  expect(waiting.plan?.action).toBe('replay-from-checkpoint');
  await handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', waiting.plan!.planId)] });

  // Killed once enrich has been rewound (the step is recorded done) and the replay is draining.
  await waitUntil('enrich to be rewound', async () => (await replaySteps(base.kbPath, handle.workflowId)).get('rewind')?.status === 'done', 90_000, 200);
  await new Promise((r) => setTimeout(r, 1_000));
  expect((await replaySteps(base.kbPath, handle.workflowId)).get('whole')?.status).toBe('started');
  const killedAt = Date.now();
  first.child.kill('SIGKILL');
  await first.exited;
  expect(first.child.signalCode).toBe('SIGKILL');

  const second = await startWorkerProcess(WORKER_ENTRY, { ...base, identity: 'pipeline-worker-2' }, children);
  try {
    const result = (await handle.result()) as IncidentState;
    expect(result.outcome).toBe('healed');
    expect(result.plan?.action).toBe('replay-from-checkpoint');
    expect(result.explanation.verification).toMatch(/sink-integrity=pass/);

    // The retried attempt ran on the second worker, after the first one's heartbeat stopped.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'execute');
    const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString());
    expect(started?.activityTaskStartedEventAttributes).toMatchObject({ attempt: 2, identity: 'pipeline-worker-2' });
  } catch (err) {
    process.stderr.write(`second worker output:\n${second.output()}\n`);
    throw err;
  } finally {
    await stopWorkerProcess(second);
  }

  // The rewind ran once, in the first attempt; the retry skipped it and finished the replay.
  const steps = await replaySteps(base.kbPath, handle.workflowId);
  expect(steps.get('rewind')?.status).toBe('done');
  expect(steps.get('rewind')!.at).toBeLessThan(killedAt);
  expect(steps.get('whole')?.status).toBe('done');
  expect(steps.get('whole')!.at).toBeGreaterThan(killedAt);

  const sink = await pipeline.quiesce();
  expect({ lost: sink.lost, duplicates: sink.duplicates, unexpected: sink.unexpected, checksum: sink.checksum }).toEqual({ lost: 0, duplicates: 0, unexpected: 0, checksum: sink.expectedChecksum });
  expect(sink.stored).toBeGreaterThan(0);
});
