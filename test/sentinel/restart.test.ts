/**
 * Exact state across a crash: a real `homeostat sentinel` process on real Kafka is SIGKILLed
 * mid-stream and restarted. Its decisions must equal those of an uninterrupted run over the same
 * input (the same engine, fed the same partitions in one go): every incident opened exactly once
 * in Temporal, none lost, and every evidence signal delivered.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Client, Connection } from '@temporalio/client';
import { KafkaLog, type LogRecord } from '../../bindings/log';
import type { IncidentAction } from '../../sentinel/component';
import { parseSentinelConfig } from '../../sentinel/config';
import { Engine, type PartitionSnapshot } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import { incidentWorkflowId } from '../../workflows/shared';
import { testKafkaBrokers, uniqueName } from '../support/services';
import { asMessages, incidentRuns, temporalClient, tempDir, waitFor } from './harness';
import { killChild, spawnSentinel, type SentinelChild } from './process';
import { interleave, metricStream } from './streams';

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

function snapshotProgress(file: string, group: string): { offsets: number; pending: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT offset, state FROM sentinel_snapshots WHERE group_id = ?').all(group) as { offset: number; state: string }[];
    return {
      offsets: rows.reduce((s, r) => s + r.offset, 0),
      pending: rows.reduce((s, r) => s + (JSON.parse(r.state) as PartitionSnapshot).pending.length, 0),
    };
  } catch {
    return { offsets: 0, pending: 0 };
  } finally {
    db.close();
  }
}

test('SIGKILL mid-stream and restart: no incident lost or opened twice', async () => {
  const dir = tempDir('restart');
  const stateFile = path.join(dir, 'state.db');
  const topic = uniqueName('telemetry');
  const group = uniqueName('group');
  const taskQueue = uniqueName('restart');
  const pipelines = [uniqueName('pa'), uniqueName('pb'), uniqueName('pc')];
  const streams = pipelines.flatMap((p, i) => [
    metricStream({ pipeline: p, component: 'enrich', n: 1500, stepAt: 300 + 400 * i, shift: 15, seed: 10 + i }),
    metricStream({ pipeline: p, component: 'sink', n: 1500, stepAt: i === 1 ? undefined : 900, shift: -12, seed: 20 + i }),
  ]);
  const input = interleave(...streams);
  const args = ['--log', 'kafka', '--brokers', testKafkaBrokers().join(','), '--db', stateFile, '--topic', topic, '--group', group];
  args.push('--task-queue', taskQueue, '--partitions', '2', '--snapshot-interval', '200', '--no-kb', '--http-port', 'off', '--status', '0');

  const log = new KafkaLog({ brokers: testKafkaBrokers() });
  const appended: LogRecord[] = [];
  try {
    await log.createTopic(topic, { partitions: 2 });
    const first = spawnSentinel(args);
    children.push(first);
    await waitFor(() => first.output.some((l) => l.startsWith('sentinel ready')), 'the sentinel to start');

    // Produce in chunks while the sentinel runs; kill it once a third of the input is snapshotted.
    const chunk = 450;
    let killedAt = -1;
    for (let i = 0; i < input.length; i += chunk) {
      const part = input.slice(i, i + chunk);
      const res = await log.append(topic, asMessages(part));
      res.forEach((r, k) =>
        appended.push({ topic, partition: r.partition, offset: r.offset, key: part[k].pipeline, value: Buffer.from(JSON.stringify(part[k])), timestamp: 0, headers: {} }),
      );
      if (killedAt < 0 && snapshotProgress(stateFile, group).offsets > input.length / 3) {
        first.proc.kill('SIGKILL');
        killedAt = appended.length;
        await first.exited;
        const second = spawnSentinel(args);
        children.push(second);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    if (killedAt < 0) {
      // The sentinel was faster than the producer: kill it now and let the restart finish the (re-)processing.
      await waitFor(() => snapshotProgress(stateFile, group).offsets > 0, 'a first snapshot');
      first.proc.kill('SIGKILL');
      await first.exited;
      children.push(spawnSentinel(args));
    }
    await waitFor(() => {
      const p = snapshotProgress(stateFile, group);
      return p.offsets === input.length && p.pending === 0;
    }, 'the restarted sentinel to process and send everything', 150_000);
    // The restart resumed from the crashed process's snapshots, not from scratch.
    expect(children).toHaveLength(2);
    expect(children[1].output.some((l) => /restored snapshot at offset [1-9]/.test(l))).toBe(true);

    // The uninterrupted reference: the same engine over the same partitions, in one go.
    const engine = new Engine(parseSentinelConfig({}), registryFactory);
    const expected: IncidentAction[] = [];
    for (const partition of [0, 1]) {
      const records = appended.filter((r) => r.partition === partition).sort((a, b) => a.offset - b.offset);
      for (let i = 0; i < records.length; i += 500) {
        expected.push(...engine.processBatch({ topic, partition, records: records.slice(i, i + 500), highWatermark: records.length }).actions);
      }
    }
    const opened = new Set(expected.filter((a) => a.kind === 'open').map((a) => `${a.pipeline}/${a.component}`));
    expect(opened.size).toBe(5);

    for (const p of pipelines) {
      for (const component of ['enrich', 'sink']) {
        const runs = await incidentRuns(client, incidentWorkflowId(p, component));
        const mine = expected.filter((a) => a.pipeline === p && a.component === component);
        if (!opened.has(`${p}/${component}`)) {
          expect(runs).toEqual([]);
          continue;
        }
        // Exactly one incident, never two; no signal lost, none repeated: a kill between Temporal
        // accepting a signal and the ledger recording it leaves an attempted action, which the
        // restarted sentinel finds in the incident's history instead of sending it again.
        expect(runs).toHaveLength(1);
        expect(runs[0].signals).toBe(mine.length);
      }
    }
  } finally {
    for (const c of children) await killChild(c);
    await log.close();
    for (const p of pipelines) {
      for (const c of ['enrich', 'sink']) await client.workflow.getHandle(incidentWorkflowId(p, c)).terminate('test over').catch(() => undefined);
    }
  }
});
