/**
 * The `verify-until-stable` patch on the real dev server: verification probes as soon as the
 * repair has completed (no timer between the repair and the first probe), keeps probing until the
 * probes pass k rounds in a row, and fails a component that flaps (passes, then fails, again and
 * again) at the deadline; the flap is stored with the case and makes the next verification of that
 * action ask for one more pass in a row. Histories recorded before the patch keep replaying
 * (replay.test.ts); the two recorded here prove the new path.
 */
import { temporal } from '@temporalio/proto';
import { verificationSchedule } from '../../policies/verification';
import { manualInput, uniqueName } from './helpers';
import { closeIncident, expectCompleteExplanation, recordHistory, startIncident, useIncidentEnv, withWorker } from './incident-harness';
import { createLab, labPolicy } from './lab';

jest.setTimeout(60_000);

const env = useIncidentEnv();

/** The lab policy, asking for two passing rounds in a row (the lab's own minimum is one). */
const twoInARow = (pipeline: string): string => labPolicy(pipeline).replace('passesInARow: { min: 1, max: 3 }', 'passesInARow: { min: 2, max: 4 }');

const { EventType } = temporal.api.enums.v1;

/** The history's events after the repair completed, up to the verification activity: what the workflow did before probing. */
async function eventsBetweenRepairAndFirstProbe(handle: Parameters<typeof closeIncident>[0]): Promise<temporal.api.enums.v1.EventType[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, string>();
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
  }
  const executeDone = events.findIndex(
    (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && scheduled.get(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)) === 'execute',
  );
  const firstProbe = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyUntilStable');
  expect(executeDone).toBeGreaterThan(0);
  expect(firstProbe).toBeGreaterThan(executeDone);
  return events.slice(executeDone, firstProbe).map((e) => e.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED);
}

test('a repair still taking effect is probed at once and until it passes twice in a row → healed', async () => {
  const pipeline = uniqueName('stable');
  const lab = env.track(await createLab({ pipeline, policyYaml: twoInARow(pipeline) }));
  // Broken right after the repair, then undecided, then steadily fine.
  lab.healthScript.set('sink', ['fail', 'inconclusive', 'pass', 'pass']);

  const closed = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink'));
    const c = await closeIncident(handle, lab);
    // No settle window: nothing waits on a timer between the repair and the first probe.
    expect(await eventsBetweenRepairAndFirstProbe(handle)).not.toContain(EventType.EVENT_TYPE_TIMER_STARTED);
    await recordHistory(env.conn.client, handle, 'verify-until-stable');
    return c;
  });

  expect(closed.result.outcome).toBe('healed');
  expect(closed.result.attempts).toBe(1);
  expect(closed.explanation.verification).toMatch(/: pass \(4 probe round\(s\) in \d+\.\d s, 2 passes in a row needed within 1\.0 s/);
  expect(closed.cases[0]!.attempts).toEqual([expect.objectContaining({ verification: 'pass', probeRounds: 4, flaps: 0 })]);
  // Three pauses of 100 ms between four rounds: well under the lab's 1 s settle window.
  const verifyMs = closed.cases[0]!.attempts[0]!.verifyMs!;
  expect(verifyMs).toBeGreaterThanOrEqual(300);
  expect(verifyMs).toBeLessThan(1_000);
  expectCompleteExplanation(closed);
});

test('a flapping component fails verification at the deadline, and its next verification asks for more passes in a row', async () => {
  const pipeline = uniqueName('flap');
  const lab = env.track(await createLab({ pipeline, policyYaml: twoInARow(pipeline) }));
  // Every passing round is followed by a failing one: never two passes in a row.
  lab.healthScript.set('enrich', Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? 'pass' : 'fail')));

  const closed = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'enrich', { faultClass: 'crash' }));
    const c = await closeIncident(handle, lab);
    await recordHistory(env.conn.client, handle, 'verify-flapping');
    return c;
  });

  // The crash ladder is microreboot → escalate: the flapping repair is not called healed.
  expect(closed.result.outcome).toBe('escalated');
  expect(closed.timeline.map((e) => e.event)).toEqual(expect.arrayContaining(['verification fail']));
  const attempt = closed.cases[0]!.attempts[0]!;
  expect(attempt).toMatchObject({ action: 'microreboot', verification: 'fail' });
  expect(attempt.flaps).toBeGreaterThanOrEqual(2);
  expect(attempt.probeRounds).toBeGreaterThanOrEqual(4);
  expect(closed.explanation.verification).toMatch(/microreboot: fail \(\d+ probe round\(s\).*flapped \d+ time\(s\)/);
  expectCompleteExplanation(closed);

  // The flap is learnt: the next microreboot on this pipeline must pass three rounds in a row.
  const pipelinePolicy = lab.policy.pipelines.find((p) => p.name === pipeline)!;
  const next = { verification: verificationSchedule(pipelinePolicy.verification, 'microreboot', await lab.kb.pastCases({ pipeline })) };
  expect(next.verification).toMatchObject({ passesInARow: 3 });
  expect(next.verification.basis).toMatch(/1 of them flapped/);
});
