/**
 * Replay of the recorded histories of every incident path (test/fixtures/histories/*.json,
 * written by the path tests with HOMEOSTAT_RECORD_HISTORIES=1) against the current workflow
 * bundle. Any nondeterminism — a command added, removed or reordered without patched() — fails
 * here before it can break incidents running in production.
 *
 * Re-record after an intended, patched() change:
 *   HOMEOSTAT_RECORD_HISTORIES=1 npx jest test/workflows/incident-
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { incidentBundle } from './helpers';
import { HISTORIES_DIR } from './incident-harness';

jest.setTimeout(60_000);

/** Every path the incident tests cover, by fixture name (chains of runs as <name>.run<N>.json); escalation-redelivered is the redelivery workflow's. */
const PATHS = [
  'approval-by-update',
  'auto-heal',
  'approved-by-signal',
  'rejected-by-update',
  'invalid-approval-signals',
  'aborted-while-awaiting-approval',
  'ladder-next-rung',
  'ladder-exhausted',
  'ladder-bounded',
  'verify-inconclusive',
  'safety-cooldown',
  'safety-rate-limit',
  'safety-loop',
  'safety-revalidation-denied',
  'shadow-by-input',
  'shadow-by-policy',
  'duplicate-anomalies',
  'continue-as-new',
  'worker-sigkill-during-execute',
  'rediagnose-new-hard-fault',
  // Recorded with the staged workflow (workflows/stages/) and the hardening patches.
  'execute-throws',
  'execute-compensated',
  'revalidation-requires-approval',
  'approval-lapsed-reapproved',
  'detect-confirmation-resolved',
  'detect-confirmation-persists',
  'ladder-continue-as-new',
  'abort-during-verify',
  'escalation-undelivered',
  'escalation-redelivered',
  'learn-failed',
  'lease-release-failed',
  // auto-heal again, recorded after the execute-knows-anomaly-onset patch (auto-heal keeps the run from before it).
  'auto-heal-anomaly-onset',
  // Recorded after the verify-until-stable patch: probing at once and until stable, and a flapping repair failing.
  'verify-until-stable',
  'verify-flapping',
  // Recorded with signed decisions (PATCH_SIGNED_DECISIONS) and no execution without a lease (PATCH_NO_EXECUTE_WITHOUT_LEASE).
  'signed-decisions-refused',
  'signed-key-rotated',
  'execute-without-lease-escalated',
  'starter-mode-override-ignored',
];

function fixtures(): { workflowId: string; file: string }[] {
  const files = fs.existsSync(HISTORIES_DIR) ? fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')) : [];
  return files.sort().map((f) => ({ workflowId: f.replace(/\.json$/, ''), file: path.join(HISTORIES_DIR, f) }));
}

/**
 * The fixtures are protobufjs's own JSON (`JSON.stringify(history)`: camelCase fields, enum names,
 * base64 bytes, string longs), which `History.fromObject` reads back exactly. Not historyFromJSON
 * from @temporalio/common: with this install's two copies of protobufjs 8 (under
 * @temporalio/common and @temporalio/proto) it throws "type must be a Type".
 */
function loadHistories(): { workflowId: string; history: temporal.api.history.v1.History }[] {
  return fixtures().map(({ workflowId, file }) => ({
    workflowId,
    history: temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>),
  }));
}

test('every incident path has a recorded history', () => {
  const names = new Set(fixtures().map((f) => f.workflowId.replace(/\.run\d+$/, '')));
  expect(PATHS.filter((p) => !names.has(p))).toEqual([]);
  // A chain of runs is recorded whole.
  expect(fixtures().map((f) => f.workflowId).filter((id) => id.startsWith('continue-as-new.run')).length).toBeGreaterThanOrEqual(2);
});

test('every recorded history replays against the current workflow code', async () => {
  const histories = loadHistories();
  expect(histories.length).toBeGreaterThanOrEqual(PATHS.length);
  const failures: string[] = [];
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: await incidentBundle(), replayName: 'incident-fixtures' }, histories)) {
    replayed += 1;
    if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(histories.length);
});

test('replay catches a workflow whose command sequence changed (control)', async () => {
  const histories = loadHistories();
  const caught: string[] = [];
  for await (const r of Worker.runReplayHistories(
    { workflowsPath: path.join(__dirname, '../fixtures/workflows/nondeterministic-incident.ts'), replayName: 'nondeterministic-control' },
    histories,
  )) {
    if (r.error instanceof DeterminismViolationError) caught.push(r.workflowId);
  }
  // The first run of every chain starts with different commands; continued runs do too.
  expect(caught.sort()).toEqual(histories.map((h) => h.workflowId).sort());
});
