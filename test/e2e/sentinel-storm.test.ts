/**
 * An alert storm — 10,000 anomalies a minute over 100 components (crash loops of mixed classes,
 * OOM kills, hangs, stalls, latency spikes) — against a real `homeostat sentinel` process and the
 * suite's real Temporal: at most one incident per component, however many anomalies it got, the
 * incident-action queue within its bound, sentinel memory bounded, and every anomaly processed.
 * Here the storm lasts 30 s; `npx homeostat bench storm` runs it for 3 minutes and prints the
 * figures (delivery p99, memory).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { StormLoad } from '../../bench/storm-load';
import { EmbeddedLog } from '../../bindings/log';
import { incidentWorkflowId } from '../../workflows/shared';
import { uniqueName } from '../support/services';
import { incidentRuns, temporalClient, tempDir, waitFor } from '../sentinel/harness';
import { killChild, spawnSentinel, type SentinelChild } from '../sentinel/process';
import { httpPort, rssMiB, scrape } from './sentinel-probe';

const STORM_MS = 30_000;
const MAX_QUEUED = 200;

let client: Client;
let connection: Connection;
let child: SentinelChild | undefined;

beforeAll(async () => {
  ({ client, connection } = await temporalClient());
});
afterAll(async () => {
  await killChild(child);
  await connection?.close();
});

test('10,000 anomalies a minute over 100 components: one incident per component, bounded queue and memory', async () => {
  const dir = tempDir('storm');
  const logFile = path.join(dir, 'log.db');
  const topic = uniqueName('telemetry');
  const configFile = path.join(dir, 'sentinel.json');
  fs.writeFileSync(configFile, JSON.stringify({ dispatch: { maxQueued: MAX_QUEUED } }));
  const args = ['--log', 'embedded', '--log-file', logFile, '--db', path.join(dir, 'state.db'), '--topic', topic, '--group', uniqueName('group'), '--task-queue', uniqueName('storm')];
  args.push('--partitions', '4', '--config', configFile, '--no-kb', '--http-port', '0', '--status', '0');
  const load = new StormLoad({ pipelines: 4, componentsPerPipeline: 25, anomaliesPerMinute: 10_000, seed: 11 }, uniqueName('storm'));
  const log = new EmbeddedLog({ file: logFile });
  const ids = load.components.map((c) => incidentWorkflowId(c.pipeline, c.component));
  let produced = 0;
  let mostQueued = 0;
  let mostRss = 0;
  try {
    await log.createTopic(topic, { partitions: 4 });
    child = spawnSentinel(args);
    await waitFor(() => httpPort(child!) !== undefined, 'the sentinel to start');
    const port = httpPort(child)!;
    const sample = async (): Promise<Record<string, number>> => {
      const m = await scrape(port);
      mostQueued = Math.max(mostQueued, m.homeostat_sentinel_queued_actions);
      mostRss = Math.max(mostRss, await rssMiB(child!.proc.pid!));
      return m;
    };

    const start = Date.now();
    const end = start + STORM_MS;
    let last = start;
    let nextSample = start;
    // The load is ticked over exactly STORM_MS of its own clock (the last tick covers the remainder),
    // so the anomaly count does not depend on how late the final timer fires on a loaded machine.
    while (last < end) {
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, end - Date.now()))));
      const now = Math.min(Date.now(), end);
      const batch = load.tick(now, now - last);
      last = now;
      if (batch.length > 0) await log.append(topic, batch);
      produced += batch.length;
      if (now >= nextSample) {
        await sample();
        nextSample = now + 1_000;
      }
    }
    await waitFor(async () => {
      const m = await sample();
      return m.homeostat_sentinel_records_total === produced && m.homeostat_sentinel_queued_actions === 0;
    }, 'every anomaly processed and every action delivered', 150_000);
    const m = await sample();
    process.stdout.write(
      `storm: ${load.anomalies} anomalies in ${STORM_MS / 1000} s over ${ids.length} components; incidents opened ${m.homeostat_sentinel_incidents_opened_total}, ` +
        `evidence ${m.homeostat_sentinel_evidence_sent_total}, most queued ${mostQueued}, most RSS ${mostRss.toFixed(0)} MiB\n`,
    );
    expect(load.anomalies).toBeGreaterThanOrEqual((10_000 * STORM_MS) / 60_000 - 1);
    expect(m.homeostat_sentinel_invalid_records_total).toBe(0);
    expect(m.homeostat_sentinel_undeliverable_actions_total).toBe(0);
    expect(mostQueued).toBeLessThanOrEqual(MAX_QUEUED + 1);
    // Memory: 100 components' state is a few MiB; a process that kept every anomaly or action would grow past this.
    expect(mostRss).toBeLessThan(400);
    for (const id of ids) {
      await waitFor(async () => (await incidentRuns(client, id)).length > 0, `${id} in visibility`);
      expect(await incidentRuns(client, id)).toHaveLength(1);
    }
  } finally {
    await killChild(child);
    await log.close();
    for (const id of ids) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  }
});
