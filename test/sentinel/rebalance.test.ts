/**
 * A consumer-group rebalance between two sentinels on real Kafka keeps detector state: the
 * partitions that move from the first sentinel to the second continue from the first one's
 * snapshot, so together they take exactly the decisions one uninterrupted sentinel would take.
 */
import path from 'node:path';
import { KafkaLog, type LogRecord } from '../../bindings/log';
import type { IncidentAction } from '../../sentinel/component';
import { parseSentinelConfig } from '../../sentinel/config';
import { Engine } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import { testKafkaBrokers, uniqueName } from '../support/services';
import { asMessages, CountingOpener, tempDir, waitFor } from './harness';
import { interleave, metricStream } from './streams';

const config = parseSentinelConfig({});
const kafkaTimings = { sessionTimeoutMs: 10_000, heartbeatMs: 500, rebalanceTimeoutMs: 10_000 };

function describeAction(kind: string, pipeline: string, component: string, at: string, summary: string): string {
  return `${kind}|${pipeline}/${component}|${at}|${summary}`;
}

test('a rebalance moves partitions with their state: decisions equal an uninterrupted run', async () => {
  const topic = uniqueName('telemetry');
  const groupId = uniqueName('group');
  const stateFile = path.join(tempDir('rebalance'), 'state.db');
  const pipelines = Array.from({ length: 8 }, (_, i) => uniqueName(`p${i}`));
  // Steps before, around and after the hand-over (which happens at record 1000 of each stream).
  const input = interleave(...pipelines.map((p, i) => metricStream({ pipeline: p, component: 'c', n: 2000, stepAt: 400 + 200 * i, shift: 14, seed: i + 1 })));
  const half = input.length / 2;

  const log = new KafkaLog({ brokers: testKafkaBrokers() });
  const openers = [new CountingOpener(), new CountingOpener()];
  const lines: string[][] = [[], []];
  const make = (i: number): Sentinel =>
    new Sentinel({
      log,
      config,
      factory: registryFactory,
      opener: openers[i],
      stateFile,
      topic,
      groupId,
      partitions: 4,
      snapshotIntervalMs: 300,
      consumer: kafkaTimings,
      logger: (l) => lines[i].push(l),
    });
  const a = make(0);
  const b = make(1);
  const appended: LogRecord[] = [];
  const produce = async (part: typeof input): Promise<void> => {
    const res = await log.append(topic, asMessages(part));
    res.forEach((r, k) => appended.push({ topic, partition: r.partition, offset: r.offset, key: part[k].pipeline, value: Buffer.from(JSON.stringify(part[k])), timestamp: 0, headers: {} }));
  };
  try {
    await log.createTopic(topic, { partitions: 4 });
    await a.start();
    expect(a.assignment()).toHaveLength(4);
    await produce(input.slice(0, half));
    await waitFor(() => a.engine.counters.records === half, 'the first sentinel to process the first half');

    await b.start();
    await waitFor(() => a.assignment().length > 0 && b.assignment().length > 0 && a.assignment().length + b.assignment().length === 4, 'the group to rebalance');
    const moved = b.assignment().map((p) => p.partition);
    await produce(input.slice(half));
    await waitFor(() => {
      const stored = a.store.list();
      return stored.reduce((s, r) => s + r.offset, 0) === input.length && a.dispatcher.queued === 0 && b.dispatcher.queued === 0;
    }, 'both sentinels to process and snapshot everything');
    // The second sentinel really resumed state: it restored the partitions it took over at non-zero offsets.
    expect(moved.length).toBeGreaterThan(0);
    expect(lines[1].filter((l) => /restored snapshot at offset [1-9]/.test(l)).length).toBeGreaterThan(0);

    const engine = new Engine(config, registryFactory);
    const expected: IncidentAction[] = [];
    for (const partition of [0, 1, 2, 3]) {
      const records = appended.filter((r) => r.partition === partition).sort((x, y) => x.offset - y.offset);
      for (let i = 0; i < records.length; i += 400) {
        expected.push(...engine.processBatch({ topic, partition, records: records.slice(i, i + 400), highWatermark: records.length }).actions);
      }
    }
    const want = expected.map((x) => describeAction(x.kind, x.pipeline, x.component, x.evidence.at, x.evidence.summary)).sort();
    const got = openers
      .flatMap((o) => [
        ...o.opens.map((x) => describeAction('open', x.input.pipeline, x.input.component, x.evidence.at, x.evidence.summary)),
        ...o.evidences.map((x) => describeAction('evidence', x.pipeline, x.component, x.evidence.at, x.evidence.summary)),
      ])
      .sort();
    expect(want.filter((x) => x.startsWith('open')).length).toBe(8);
    // Same decisions; a signal in flight at the hand-over may go out twice (at-least-once), never be lost.
    expect(new Set(got)).toEqual(new Set(want));
    expect(got.length - want.length).toBeLessThanOrEqual(1);
    // The second sentinel did real work on the partitions it took over.
    expect(b.engine.counters.records).toBeGreaterThan(0);
  } finally {
    await b.stop();
    await a.stop();
    await log.close();
  }
});
