/**
 * The Kafka broker restarts under a live sentinel: a real `homeostat sentinel` process consumes
 * from a broker this test owns; the broker is killed (SIGKILL) mid-stream and started again on the
 * same data directory and port. No record is lost (every one processed, none dead-lettered), and
 * the incidents in Temporal are exactly those an uninterrupted run decides — each opened once,
 * with every evidence signal once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { KafkaLog, readDeadLetters, type LogRecord } from '../../bindings/log';
import { startKafka, type KafkaHandle } from '../../infra/kafka';
import type { IncidentAction } from '../../sentinel/component';
import { parseSentinelConfig } from '../../sentinel/config';
import { Engine } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { incidentWorkflowId } from '../../workflows/shared';
import { uniqueName } from '../support/services';
import { asMessages, incidentRuns, temporalClient, tempDir, waitFor } from '../sentinel/harness';
import { killChild, spawnSentinel, type SentinelChild } from '../sentinel/process';
import { interleave, metricStream } from '../sentinel/streams';
import { httpPort, scrape } from './sentinel-probe';

let client: Client;
let connection: Connection;
let broker: KafkaHandle | undefined;
let child: SentinelChild | undefined;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-kafka-restart-sentinel-'));

beforeAll(async () => {
  ({ client, connection } = await temporalClient());
  broker = await startKafka({ dataDir });
}, 180_000);
afterAll(async () => {
  await killChild(child);
  await broker?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  await connection?.close();
});

test('broker killed and restarted under a live sentinel: no record lost, no incident opened twice', async () => {
  const brokers = broker!.brokers;
  const port = Number(brokers[0].split(':')[1]);
  const topic = uniqueName('telemetry');
  const pipelines = [uniqueName('pa'), uniqueName('pb'), uniqueName('pc')];
  // Level shifts before, around and after the restart (which comes after the first third).
  const records: TelemetryRecord[] = interleave(
    ...pipelines.flatMap((p, i) => [
      metricStream({ pipeline: p, component: 'enrich', n: 1200, stepAt: 200 + 400 * i, shift: 15, seed: 30 + i }),
      metricStream({ pipeline: p, component: 'sink', n: 1200, stepAt: i === 1 ? undefined : 700, shift: -12, seed: 40 + i }),
    ]),
  );
  // Every 250th message is not telemetry at all: it must reach the dead-letter topic, restart or not.
  const input: (TelemetryRecord | string)[] = records.flatMap((r, i) => (i % 250 === 125 ? [r, `junk ${i}`] : [r]));
  const junk = input.filter((r) => typeof r === 'string').length;
  const args = ['--log', 'kafka', '--brokers', brokers.join(','), '--db', path.join(tempDir('kafka-restart'), 'state.db'), '--topic', topic, '--group', uniqueName('group')];
  args.push('--task-queue', uniqueName('kafka-restart'), '--partitions', '2', '--snapshot-interval', '200', '--no-kb', '--http-port', '0', '--status', '0');

  let log = new KafkaLog({ brokers });
  const appended: LogRecord[] = [];
  const produce = async (part: (TelemetryRecord | string)[]): Promise<void> => {
    const messages = asMessages(part);
    const res = await log.append(topic, messages);
    res.forEach((r, k) => appended.push({ topic, partition: r.partition, offset: r.offset, key: messages[k].key ?? null, value: Buffer.from(messages[k].value), timestamp: 0, headers: {} }));
  };
  const third = Math.floor(input.length / 3);
  try {
    await log.createTopic(topic, { partitions: 2 });
    child = spawnSentinel(args);
    await waitFor(() => httpPort(child!) !== undefined, 'the sentinel to start');
    const http = httpPort(child)!;
    await produce(input.slice(0, third));
    const firstValid = input.slice(0, third).filter((r) => typeof r !== 'string').length;
    await waitFor(async () => (await scrape(http)).homeostat_sentinel_records_total === firstValid, 'the first third processed');

    // Kill the broker (no controlled shutdown) while the sentinel runs, then bring it back.
    process.kill(-broker!.pid, 'SIGKILL');
    await broker!.stop();
    await log.close();
    broker = await startKafka({ dataDir, port });
    log = new KafkaLog({ brokers });
    await produce(input.slice(third));

    await waitFor(
      async () => {
        const m = await scrape(http);
        return m.homeostat_sentinel_records_total >= records.length && m.homeostat_sentinel_dead_lettered_total >= junk && m.homeostat_sentinel_queued_actions === 0;
      },
      'every record processed after the restart',
      150_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; metrics ${JSON.stringify(await scrape(http).catch(() => ({})))}; sentinel:\n${child!.output.slice(-15).join('\n')}`);
    });
    const m = await scrape(http);
    // Nothing lost, nothing read twice into the detectors; the junk, and only it, dead-lettered once.
    expect(m.homeostat_sentinel_records_total).toBe(records.length);
    expect(m.homeostat_sentinel_invalid_records_total).toBe(junk);
    const dead = await readDeadLetters(log, topic);
    expect(dead.map((d) => d.value.toString()).sort()).toEqual(input.filter((r): r is string => typeof r === 'string').sort());

    // The uninterrupted reference: the same engine over the same partitions, in one go.
    const engine = new Engine(parseSentinelConfig({}), registryFactory);
    const expected: IncidentAction[] = [];
    for (const partition of [0, 1]) {
      const records = appended.filter((r) => r.partition === partition).sort((a, b) => a.offset - b.offset);
      expected.push(...engine.processBatch({ topic, partition, records, highWatermark: records.length }).actions);
    }
    const opened = new Set(expected.filter((a) => a.kind === 'open').map((a) => `${a.pipeline}/${a.component}`));
    expect(opened.size).toBe(5);
    for (const p of pipelines) {
      for (const component of ['enrich', 'sink']) {
        const id = incidentWorkflowId(p, component);
        if (!opened.has(`${p}/${component}`)) {
          expect(await incidentRuns(client, id)).toEqual([]);
          continue;
        }
        await waitFor(async () => (await incidentRuns(client, id)).length > 0, `${id} in visibility`);
        const runs = await incidentRuns(client, id);
        expect(runs).toHaveLength(1);
        expect(runs[0].signals).toBe(expected.filter((a) => a.pipeline === p && a.component === component).length);
      }
    }
  } finally {
    await killChild(child);
    await log.close();
    for (const p of pipelines) for (const c of ['enrich', 'sink']) await client.workflow.getHandle(incidentWorkflowId(p, c)).terminate('test over').catch(() => undefined);
  }
});
