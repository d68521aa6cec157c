/**
 * An action already delivered is never delivered again after a restart — and never to a new run.
 * A real `homeostat sentinel` process is killed (SIGKILL, from a crash point enabled only under
 * test) right after Temporal accepted its signalWithStart and before its ledger recorded it. The
 * incident is then closed, so sending the same action again would start a second run that repairs
 * again. The restarted sentinel finds the action in the incident's history and does not send it.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Client, Connection } from '@temporalio/client';
import { EmbeddedLog } from '../../bindings/log';
import { incidentWorkflowId } from '../../workflows/shared';
import { uniqueName } from '../support/services';
import { incidentRuns, temporalClient, tempDir, waitFor } from '../sentinel/harness';
import { killChild, spawnSentinel, type SentinelChild } from '../sentinel/process';

let client: Client;
let connection: Connection;
const children: SentinelChild[] = [];

beforeAll(async () => {
  ({ client, connection } = await temporalClient());
});
afterAll(async () => {
  for (const c of children) await killChild(c);
  await connection?.close();
});

/** Actions the latest snapshot still holds as not confirmed sent; -1 before the first snapshot. */
function pendingIn(file: string, group: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT state FROM sentinel_snapshots WHERE group_id = ?').get(group) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as { pending: unknown[] }).pending.length : -1;
  } catch {
    return -1;
  } finally {
    db.close();
  }
}

function sentRows(file: string, group: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM sentinel_sent WHERE group_id = ?').get(group) as { n: number }).n;
  } finally {
    db.close();
  }
}

test('killed between Temporal accepting an open and the ledger recording it: no second run, no repeated signal', async () => {
  const dir = tempDir('redelivery');
  const stateFile = path.join(dir, 'state.db');
  const logFile = path.join(dir, 'log.db');
  const topic = uniqueName('telemetry');
  const group = uniqueName('group');
  const pipeline = uniqueName('pipe');
  // No worker polls this task queue: every incident stays open in its first stage, as long as the test needs.
  const args = ['--log', 'embedded', '--log-file', logFile, '--db', stateFile, '--topic', topic, '--group', group, '--task-queue', uniqueName('redelivery')];
  args.push('--partitions', '1', '--snapshot-interval', '100', '--no-kb', '--http-port', 'off', '--status', '200');
  const crashAtSend = { HOMEOSTAT_SENTINEL_FAULT: 'after-send-before-ledger' };
  const log = new EmbeddedLog({ file: logFile });
  const crash = (component: string) => ({
    key: pipeline,
    value: JSON.stringify({ kind: 'event', v: 1, ts: Date.now(), pipeline, component, signal: 'process', event: 'CRASHED', exitCode: 137 }),
  });
  const [idA, idB] = [incidentWorkflowId(pipeline, 'a'), incidentWorkflowId(pipeline, 'b')];
  try {
    await log.createTopic(topic, { partitions: 1 });
    await log.append(topic, [crash('a')]);
    const first = spawnSentinel(args, crashAtSend);
    children.push(first);
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor(async () => (await incidentRuns(client, idA)).length === 1, 'the incident a started by the killed sentinel');
    expect(sentRows(stateFile, group)).toBe(0);
    // The incident closes before the sentinel comes back.
    await client.workflow.getHandle(idA).terminate('closed while the sentinel was down');

    // Second life, still crashing at the next send: it must not re-send a's open, then dies sending b's.
    await log.append(topic, [crash('b')]);
    const second = spawnSentinel(args, crashAtSend);
    children.push(second);
    expect(await second.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor(async () => (await incidentRuns(client, idB)).length === 1, 'the incident b started by the second sentinel');

    // Third life, no crash point: b's open is found in b's running incident, not sent again.
    const third = spawnSentinel(args);
    children.push(third);
    // (a's open too when the second life died, sending b's, before its own check of a had finished.)
    await waitFor(() => pendingIn(stateFile, group) === 0 && third.output.some((l) => /queued 0,.*found delivered [12],/.test(l)), 'the third sentinel to settle both actions').catch((err: Error) => {
      throw new Error(`${err.message}; second:\n${second.output.join('\n')}\nthird:\n${third.output.slice(-8).join('\n')}`);
    });

    const runsA = await incidentRuns(client, idA);
    const runsB = await incidentRuns(client, idB);
    expect(runsA).toHaveLength(1);
    expect(runsA[0].signals).toBe(1);
    expect(runsB).toHaveLength(1);
    expect(runsB[0].signals).toBe(1);
  } finally {
    for (const c of children) await killChild(c);
    await log.close();
    for (const id of [idA, idB]) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  }
});
