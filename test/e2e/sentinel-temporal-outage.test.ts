/**
 * Temporal unreachable from a live sentinel for 60 s: the sentinel holds its incident actions —
 * bounded: once `dispatch.maxQueued` wait, it stops consuming and leaves the rest in the log —
 * and delivers every one of them once Temporal is back, each exactly once. A real
 * `homeostat sentinel` process on the embedded log talks to the suite's real Temporal dev server
 * through a TCP forwarder the test cuts (a network partition; the server keeps running).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { EmbeddedLog } from '../../bindings/log';
import { incidentWorkflowId } from '../../workflows/shared';
import { testTemporalAddress, uniqueName } from '../support/services';
import { incidentRuns, temporalClient, tempDir, waitFor } from '../sentinel/harness';
import { killChild, spawnSentinel, type SentinelChild } from '../sentinel/process';
import { httpPort, scrape } from './sentinel-probe';
import { TcpProxy } from './tcp-proxy';

const OUTAGE_MS = 60_000;
const MAX_QUEUED = 40;
const COMPONENTS = 30;
/** Per component: a crash opens, an OOM kill and a hang (other classes) are evidence — three actions each. */
const EVENTS = ['CRASHED', 'OOMKilled', 'HUNG'];

let client: Client;
let connection: Connection;
let child: SentinelChild | undefined;
const proxy = TcpProxy.to(testTemporalAddress());

beforeAll(async () => {
  ({ client, connection } = await temporalClient());
  await proxy.start();
});
afterAll(async () => {
  await killChild(child);
  await proxy.stop();
  await connection?.close();
});

test('Temporal unreachable for 60 s: actions held (bounded), all delivered after, each once', async () => {
  const dir = tempDir('outage');
  const logFile = path.join(dir, 'log.db');
  const topic = uniqueName('telemetry');
  const pipeline = uniqueName('pipe');
  const configFile = path.join(dir, 'sentinel.json');
  fs.writeFileSync(configFile, JSON.stringify({ dispatch: { maxQueued: MAX_QUEUED, resumeBelow: 10, sendTimeoutMs: 2_000, backoffMaxMs: 2_000 } }));
  const args = ['--log', 'embedded', '--log-file', logFile, '--db', path.join(dir, 'state.db'), '--topic', topic, '--group', uniqueName('group'), '--task-queue', uniqueName('outage')];
  args.push('--partitions', '2', '--config', configFile, '--no-kb', '--http-port', '0', '--status', '0');
  const log = new EmbeddedLog({ file: logFile });
  const event = (component: string, event: string, ts: number) => ({ key: pipeline, value: JSON.stringify({ kind: 'event', v: 1, ts, pipeline, component, signal: 'process', event }) });
  const ids = Array.from({ length: COMPONENTS }, (_, i) => incidentWorkflowId(pipeline, `c${i}`));
  try {
    await log.createTopic(topic, { partitions: 2 });
    child = spawnSentinel(args, { TEMPORAL_ADDRESS: proxy.address });
    await waitFor(() => httpPort(child!) !== undefined, 'the sentinel to start');
    const port = httpPort(child)!;
    // The path works before the outage.
    await log.append(topic, [event('warm', 'CRASHED', Date.now())]);
    await waitFor(async () => (await scrape(port)).homeostat_sentinel_incidents_opened_total === 1, 'a first incident through the forwarder');

    await proxy.cut();
    const cutAt = Date.now();
    const t0 = Date.now();
    await log.append(topic, EVENTS.flatMap((e, k) => Array.from({ length: COMPONENTS }, (_, i) => event(`c${i}`, e, t0 + k * 100))));
    const total = 1 + COMPONENTS * EVENTS.length;
    // Held, and bounded: the queue fills to its cap and consumption stops there.
    let most = 0;
    await waitFor(async () => {
      const m = await scrape(port);
      most = Math.max(most, m.homeostat_sentinel_queued_actions);
      return m.homeostat_sentinel_back_pressure_pauses_total >= 1 && m.homeostat_sentinel_queued_actions >= MAX_QUEUED - 1;
    }, 'the queue to fill and consumption to pause');
    while (Date.now() - cutAt < OUTAGE_MS) {
      const m = await scrape(port);
      most = Math.max(most, m.homeostat_sentinel_queued_actions);
      expect(m.homeostat_sentinel_records_total).toBeLessThan(total);
      expect(m.homeostat_sentinel_incidents_opened_total).toBe(1);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(most).toBeLessThanOrEqual(MAX_QUEUED + 1);

    await proxy.restore();
    await waitFor(async () => {
      const m = await scrape(port);
      most = Math.max(most, m.homeostat_sentinel_queued_actions);
      return m.homeostat_sentinel_records_total === total && m.homeostat_sentinel_queued_actions === 0;
    }, 'every record processed and every held action delivered', 120_000);
    const m = await scrape(port);
    expect(most).toBeLessThanOrEqual(MAX_QUEUED + 1);
    expect(m.homeostat_sentinel_undeliverable_actions_total).toBe(0);
    expect(m.homeostat_sentinel_send_failures_total).toBeGreaterThan(0);
    for (const id of ids) {
      await waitFor(async () => (await incidentRuns(client, id)).length > 0, `${id} in visibility`);
      const runs = await incidentRuns(client, id);
      expect(runs).toHaveLength(1);
      expect(runs[0].signals).toBe(EVENTS.length);
    }
  } finally {
    await killChild(child);
    await log.close();
    for (const id of [...ids, incidentWorkflowId(pipeline, 'warm')]) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  }
});
