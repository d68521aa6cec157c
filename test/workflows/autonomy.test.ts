/**
 * Progressive autonomy both ways, through real incident workflows on the dev server and a real
 * SQLite knowledge base. In active mode the policy's first choice is recorded like a shadow
 * prediction: when the first rung keeps failing (scale-out here), precision falls below the
 * demotion bar and the fault class is demoted to shadow mode, audited. In shadow mode the
 * approved would-do actions are hits: precision reaches the bar and the class is promoted back.
 * Records are keyed by incident run — every incident of the component has the same workflow id —
 * and `homeostat autonomy` prints the mode, cases, precision and the last change with its reason.
 */
import { autonomyReport, formatAutonomy } from '../../knowledge/autonomy';
import { approveUpdate, type IncidentInput, type IncidentState } from '../../workflows/shared';
import { manualInput, uniqueName, waitForState } from './helpers';
import { startIncident, useIncidentEnv, withWorker } from './incident-harness';
import { createLab, labPolicy } from './lab';
import { signedApproval } from './signing';

jest.setTimeout(90_000);

const env = useIncidentEnv();

function autonomyPolicy(pipeline: string): string {
  return labPolicy(pipeline)
    .replace('cooldown: { default: 10m }', 'cooldown: { default: 0 }')
    .replace('loopDetection: { maxRepeats: 3, window: 1h }', 'loopDetection: { maxRepeats: 50, window: 1h }')
    .replace('    verification: {', '    promotion: { minCases: 2, window: 3, precisionBar: 1, demotionBar: 0.6 }\n    verification: {');
}

async function runIncident(taskQueue: string, input: IncidentInput, approve: boolean): Promise<IncidentState> {
  const handle = await startIncident(env.conn.client, taskQueue, input);
  if (approve) {
    const waiting = await waitForState(handle, (s) => s.awaitingApproval && s.plan !== undefined);
    await handle.executeUpdate(approveUpdate, { args: [await signedApproval(handle, 'oncall-lead', waiting.plan!.planId, { reason: 'the would-do action is right' })] });
  }
  return (await handle.result()) as IncidentState;
}

test('an active class whose first choice keeps failing is demoted to shadow; approved shadow predictions promote it back; both audited', async () => {
  const pipeline = uniqueName('autonomy');
  const lab = env.track(await createLab({ pipeline, policyYaml: autonomyPolicy(pipeline) }));
  // scale-out never works on this sink; load-shedding does.
  lab.healthScript.set('sink/scale-out', ['fail']);

  await withWorker(env.conn.native, lab, async (taskQueue) => {
    const first = await runIncident(taskQueue, manualInput(pipeline, 'sink'), false);
    expect(first).toMatchObject({ mode: 'active', outcome: 'healed' });
    const second = await runIncident(taskQueue, manualInput(pipeline, 'sink'), false);
    expect(second).toMatchObject({ mode: 'active', outcome: 'healed' });

    // Two active first choices recorded, one per run of the same workflow id; scale-out was a miss.
    const active = await lab.kb.shadowRecords(pipeline, 'lag');
    expect(active).toHaveLength(2);
    expect(new Set(active.map((r) => r.incidentId)).size).toBe(2);
    expect(active.every((r) => r.incidentId.startsWith(`incident/${pipeline}/sink@`))).toBe(true);
    expect(active.find((r) => r.wouldDo === 'scale-out')).toMatchObject({ finalAction: 'load-shedding' });
    expect(await lab.kb.getMode(pipeline, 'lag')).toMatchObject({ mode: 'shadow' });

    // Shadow mode now: the loop records the would-do action, a human approves it → hits, until
    // the last three decided records are all hits (two or three shadow incidents, depending on
    // whether the second active incident's first choice was already load-shedding).
    let shadowRuns = 0;
    while ((await lab.kb.getMode(pipeline, 'lag'))?.mode === 'shadow' && shadowRuns < 3) {
      const shadowed = await runIncident(taskQueue, manualInput(pipeline, 'sink', { requireApproval: true }), true);
      expect(shadowed).toMatchObject({ mode: 'shadow', outcome: 'shadowed' });
      shadowRuns += 1;
    }
    expect(shadowRuns).toBeGreaterThanOrEqual(2);
  });

  expect(await lab.kb.getMode(pipeline, 'lag')).toMatchObject({ mode: 'active' });
  const audit = (await lab.kb.listAudit({ subject: `${pipeline}/lag` })).map((a) => [a.action, (a.detail as { from: string; to: string }).from, (a.detail as { to: string }).to]);
  expect(audit).toEqual([
    ['demote', 'active', 'shadow'],
    ['promote', 'shadow', 'active'],
  ]);
  expect(await lab.kb.verifyAuditChain()).toMatchObject({ ok: true });

  const rows = await autonomyReport(lab.kb, lab.policy, pipeline);
  const lag = rows.find((r) => r.faultClass === 'lag')!;
  expect(lag).toMatchObject({ mode: 'active', source: 'learnt', cases: 3, precision: 1, lastChange: { kind: 'promote' } });
  expect(lag.lastChange!.reason).toMatch(/precision 100.0% over 3 cases ≥ 100.0%/);
  expect(formatAutonomy(rows)).toMatch(new RegExp(`${pipeline}\\s+lag\\s+active \\(learnt\\)\\s+3/2\\s+100 %`));
});
