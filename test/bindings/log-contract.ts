/**
 * The contract every Log implementation keeps; `log-embedded.test.ts` and `log-kafka.test.ts`
 * run this same suite against the embedded log and a real Kafka broker.
 */
import { randomUUID } from 'node:crypto';
import { deadLetterTopic, parseDeadLetter, partitionFor, sendToDeadLetter, type Log, type LogConsumer, type LogRecord } from '../../bindings/log';

export interface ContractOptions {
  open(): Promise<Log>;
  /** Extra consumer options (short heartbeats for the embedded log, timeouts for Kafka). */
  consumerExtras?: Record<string, number>;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const uid = (): string => randomUUID().slice(0, 8);

export function logContract(name: string, options: ContractOptions): void {
  describe(`Log contract: ${name}`, () => {
    let log: Log;
    const consumers: LogConsumer[] = [];
    const consumer = (opts: Parameters<Log['consumer']>[0]): LogConsumer => {
      const c = log.consumer({ ...opts, ...(options.consumerExtras ?? {}) } as Parameters<Log['consumer']>[0]);
      consumers.push(c);
      return c;
    };

    beforeAll(async () => {
      log = await options.open();
    });
    afterEach(async () => {
      for (const c of consumers.splice(0)) await c.stop();
    });
    afterAll(async () => {
      await log.close();
    });

    test('append gives dense offsets per partition and partitions by key hash', async () => {
      const topic = `contract-append-${uid()}`;
      await log.createTopic(topic, { partitions: 3 });
      expect(await log.partitions(topic)).toBe(3);
      const keys = ['alpha', 'beta', 'gamma', 'alpha', 'delta', 'alpha'];
      const res = await log.append(topic, keys.map((k, i) => ({ key: k, value: `v${i}` })));
      const seen = new Map<number, number>();
      res.forEach((r, i) => {
        expect(r.partition).toBe(partitionFor(keys[i], 3));
        expect(r.offset).toBe(seen.get(r.partition) ?? 0);
        seen.set(r.partition, r.offset + 1);
      });
      const latest = await log.latestOffsets(topic);
      for (const l of latest) expect(l.offset).toBe(seen.get(l.partition) ?? 0);
      expect((await log.earliestOffsets(topic)).every((e) => e.offset === 0)).toBe(true);
    });

    test('read returns the exact bytes, key, headers and timestamp', async () => {
      const topic = `contract-read-${uid()}`;
      await log.createTopic(topic, { partitions: 1 });
      const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
      const stamp = Date.now() - 5_000;
      await log.append(topic, [
        { key: 'k', value: bytes, timestamp: stamp, headers: { a: '1' } },
        { key: null, value: 'two' },
      ]);
      const recs = await log.read(topic, 0, 0, 10);
      expect(recs).toHaveLength(2);
      expect(recs[0].value.equals(bytes)).toBe(true);
      expect(recs[0].key).toBe('k');
      expect(recs[0].timestamp).toBe(stamp);
      expect(recs[0].headers).toEqual({ a: '1' });
      expect(recs[1].value.toString()).toBe('two');
      expect(recs[1].key).toBeNull();
    });

    test('a group resumes from its committed offsets; without commit it re-reads', async () => {
      const topic = `contract-group-${uid()}`;
      await log.createTopic(topic, { partitions: 2 });
      await log.append(topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 5}`, value: `m${i}` })));
      const group = `g-${uid()}`;
      const got: LogRecord[] = [];
      const c1 = consumer({ groupId: group, topics: [topic] });
      await c1.run((b) => void got.push(...b.records));
      await waitFor(() => got.length === 20, '20 records');
      await c1.stop();
      const committed = await log.committed(group, topic);
      expect(committed.reduce((s, c) => s + c.offset, 0)).toBe(20);

      await log.append(topic, [{ key: 'k1', value: 'late' }]);
      const again: LogRecord[] = [];
      const c2 = consumer({ groupId: group, topics: [topic] });
      await c2.run((b) => void again.push(...b.records));
      await waitFor(() => again.length >= 1, 'the late record');
      await c2.stop();
      expect(again.map((r) => r.value.toString())).toEqual(['late']);

      const noCommit = `g-${uid()}`;
      const first: LogRecord[] = [];
      const c3 = consumer({ groupId: noCommit, topics: [topic], autoCommit: false });
      await c3.run((b) => void first.push(...b.records));
      await waitFor(() => first.length === 21, '21 records');
      await c3.stop();
      expect(await log.committed(noCommit, topic)).toEqual([]);
    });

    test('reset a stopped group to offsets, a timestamp, earliest and latest', async () => {
      const topic = `contract-reset-${uid()}`;
      await log.createTopic(topic, { partitions: 1 });
      // Recent timestamps: Kafka's time-based retention would delete records dated years ago.
      const t0 = Date.now() - 60_000;
      await log.append(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'p', value: `m${i}`, timestamp: t0 + i * 1000 })));
      const group = `g-${uid()}`;
      expect(await log.resetGroup(group, topic, { to: 'offsets', offsets: [{ partition: 0, offset: 7 }] })).toEqual([{ partition: 0, offset: 7 }]);
      expect(await log.resetGroup(group, topic, { to: 'timestamp', timestamp: t0 + 4500 })).toEqual([{ partition: 0, offset: 5 }]);
      expect(await log.resetGroup(group, topic, { to: 'timestamp', timestamp: t0 + 99_000 })).toEqual([{ partition: 0, offset: 10 }]);
      expect(await log.resetGroup(group, topic, { to: 'latest' })).toEqual([{ partition: 0, offset: 10 }]);
      expect(await log.resetGroup(group, topic, { to: 'earliest' })).toEqual([{ partition: 0, offset: 0 }]);
      await log.resetGroup(group, topic, { to: 'timestamp', timestamp: t0 + 8000 });
      const got: string[] = [];
      const c = consumer({ groupId: group, topics: [topic] });
      await c.run((b) => void got.push(...b.records.map((r) => r.value.toString())));
      await waitFor(() => got.length === 2, 'records 8 and 9');
      expect(got).toEqual(['m8', 'm9']);
    });

    test('onAssign positions win over committed offsets; seek moves a running consumer', async () => {
      const topic = `contract-seek-${uid()}`;
      await log.createTopic(topic, { partitions: 1 });
      await log.append(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'p', value: `m${i}` })));
      const group = `g-${uid()}`;
      const got: number[] = [];
      const assigned: number[] = [];
      const c = consumer({
        groupId: group,
        topics: [topic],
        hooks: {
          onAssign: (ps) => {
            assigned.push(...ps.map((p) => p.partition));
            return ps.map((p) => ({ ...p, offset: 6 }));
          },
        },
      });
      await c.run((b) => void got.push(...b.records.map((r) => r.offset)));
      await waitFor(() => got.length >= 4, 'offsets 6..9');
      expect(assigned).toEqual([0]);
      expect(got).toEqual([6, 7, 8, 9]);
      c.seek({ topic, partition: 0, offset: 8 });
      await log.append(topic, [{ key: 'p', value: 'm10' }]);
      await waitFor(() => got.length >= 7, 'offsets 8..10 after the seek');
      expect(got.slice(4)).toEqual([8, 9, 10]);
    });

    test('a handler that seeks back to a record it could not process gets every later record again', async () => {
      const topic = `contract-retry-${uid()}`;
      await log.createTopic(topic, { partitions: 1 });
      await log.append(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'p', value: `m${i}` })));
      const done: number[] = [];
      let refusals = 0;
      const c = consumer({ groupId: `g-${uid()}`, topics: [topic], autoCommit: false });
      await c.run((b) => {
        for (const r of b.records) {
          // Offset 4 cannot be processed the first two times it is seen: stop there and retry it.
          if (r.offset === 4 && refusals < 2) {
            refusals++;
            c.seek({ topic, partition: 0, offset: 4 });
            return;
          }
          done.push(r.offset);
        }
      });
      await waitFor(() => done.length >= 10, 'offsets 0..9 with 4 retried');
      await new Promise((r) => setTimeout(r, 300));
      expect(refusals).toBe(2);
      expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    test('pause stops delivery of a partition until resume', async () => {
      const topic = `contract-pause-${uid()}`;
      await log.createTopic(topic, { partitions: 1 });
      const got: string[] = [];
      const c = consumer({ groupId: `g-${uid()}`, topics: [topic] });
      await c.run((b) => void got.push(...b.records.map((r) => r.value.toString())));
      await log.append(topic, [{ key: 'p', value: 'before' }]);
      await waitFor(() => got.length === 1, 'the first record');
      c.pause();
      await log.append(topic, [{ key: 'p', value: 'while-paused' }]);
      // Give the consumer several poll/fetch cycles to (wrongly) deliver it.
      await new Promise((r) => setTimeout(r, 1500));
      expect(got).toEqual(['before']);
      c.resume();
      await waitFor(() => got.length === 2, 'the record after resume');
      expect(got).toEqual(['before', 'while-paused']);
    });

    test('dead-letter keeps the original bytes and the reason', async () => {
      const topic = `contract-dlq-${uid()}`;
      const raw = Buffer.from('{"kind":"metric","value":"oops"');
      await sendToDeadLetter(log, topic, [
        { value: raw, key: 'pipe', reason: 'value: expected number', field: 'value', rule: 'invalid_type', source: { topic, partition: 2, offset: 41 } },
      ]);
      const recs = await log.read(deadLetterTopic(topic), partitionFor('pipe', await log.partitions(deadLetterTopic(topic))), 0, 10);
      expect(recs).toHaveLength(1);
      const entry = parseDeadLetter(recs[0]);
      expect(entry.value.equals(raw)).toBe(true);
      expect(entry).toMatchObject({ key: 'pipe', reason: 'value: expected number', field: 'value', rule: 'invalid_type' });
      expect(entry.source).toEqual({ topic, partition: 2, offset: 41 });
    });

    test('two members of a group split the partitions; each record is delivered to one of them', async () => {
      const topic = `contract-split-${uid()}`;
      await log.createTopic(topic, { partitions: 4 });
      const group = `g-${uid()}`;
      const byMember: Map<string, string>[] = [new Map(), new Map()];
      const revoked: number[][] = [[], []];
      const members = [0, 1].map((i) =>
        consumer({
          groupId: group,
          topics: [topic],
          hooks: { onRevoke: (ps) => void revoked[i].push(...ps.map((p) => p.partition)) },
        }),
      );
      await members[0].run((b) => b.records.forEach((r) => byMember[0].set(`${r.partition}:${r.offset}`, r.value.toString())));
      await members[1].run((b) => b.records.forEach((r) => byMember[1].set(`${r.partition}:${r.offset}`, r.value.toString())));
      await waitFor(
        () => members[0].assignment().length + members[1].assignment().length === 4 && members[0].assignment().length > 0 && members[1].assignment().length > 0,
        'both members to own partitions',
      );
      const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
      await log.append(topic, keys.map((k) => ({ key: k, value: k })));
      await waitFor(() => byMember[0].size + byMember[1].size >= 40, 'all 40 records');
      const overlap = [...byMember[0].keys()].filter((k) => byMember[1].has(k));
      expect(overlap).toEqual([]);
      expect(new Set([...byMember[0].values(), ...byMember[1].values()]).size).toBe(40);
    });
  });
}
