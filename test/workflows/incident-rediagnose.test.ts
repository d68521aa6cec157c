/**
 * Re-diagnosis on contradicting evidence, on the real dev server. A crash opens the incident and
 * is diagnosed a crash; while the microreboot runs, the restarted process crashes again, this
 * time on a corrupt checkpoint. The microreboot fails verification; instead of the crash
 * ladder's next rung (a human), the incident is diagnosed again from the new hard fault and
 * restores the checkpoint. Without a contradicting hard fault a failed rung climbs the ladder as
 * before (incident-ladder.test.ts).
 */
import { evidenceSignal, type IncidentInput, type IncidentState } from '../../workflows/shared';
import { uniqueName } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, startIncident, withWorker, useIncidentEnv } from './incident-harness';
import { createLab } from './lab';

jest.setTimeout(60_000);

const env = useIncidentEnv();

function crashInput(pipeline: string): IncidentInput {
  const at = new Date().toISOString();
  return {
    pipeline,
    component: 'enrich',
    trigger: { kind: 'hard-fault', detail: 'CRASHED killed by SIGKILL', at },
    evidence: [{ at, source: 'sentinel', summary: 'hard fault: CRASHED killed by SIGKILL', faultHint: 'crash', hardFault: true, health: 1 }],
    faultClass: 'crash',
  };
}

test('a failed microreboot followed by a corrupt-checkpoint crash is diagnosed again and restores the checkpoint', async () => {
  const pipeline = uniqueName('rediagnose');
  const lab = env.track(await createLab({ pipeline, slowMs: { microreboot: 1_500 } }));
  const l = lab;
  // Verification probes until stable: the microreboot fails throughout its verification.
  l.healthScript.set('enrich/microreboot', ['fail']);

  const closed = await withWorker(env.conn.native, l, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, crashInput(pipeline));
    // While the microreboot runs, the restarted process reports the corrupt checkpoint.
    for (let i = 0; i < 300; i++) {
      const actuations = await l.kb.listActuations({ incidentId: handle.workflowId });
      if (actuations.some((a) => a.action === 'microreboot')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const at = new Date().toISOString();
    await handle.signal(evidenceSignal, {
      at,
      source: 'sentinel',
      summary: 'hard fault: CRASHED (exit 3): corrupt-checkpoint: ckpt-2 checksum mismatch',
      faultHint: 'corrupted-checkpoint',
      hardFault: true,
      health: 1,
    });
    const c = await closeIncident(handle, l);
    await recordHistory(env.conn.client, handle, 'rediagnose-new-hard-fault');
    return c;
  });

  const s: IncidentState = closed.result;
  expect(s.outcome).toBe('healed');
  expect(s.faultClass).toBe('corrupted-checkpoint');
  expect(applications(l)).toEqual({ microreboot: 1, 'checkpoint-restore': 1 });
  const events = closed.timeline.map((e) => e.event);
  expect(events.filter((e) => e === 'diagnosed')).toHaveLength(2);
  expect(events.indexOf('verification fail')).toBeLessThan(events.lastIndexOf('diagnosed'));
  expect(closed.explanation.cause).toMatch(/^corrupted-checkpoint/);
  expect(closed.explanation.verification).toMatch(/checkpoint-restore: pass/);
  expect(l.escalations).toEqual([]);
  expectCompleteExplanation(closed);
});
