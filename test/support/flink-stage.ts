/**
 * What the Flink tests share: produce demo events (simulator/events.ts) to a topic, read an output
 * topic as a read_committed consumer, and judge the sink — every produced id once (no loss, no
 * duplicate), each with the hash of its exact input bytes, and a checksum over (id, hash) pairs
 * the way simulator/sink-store.ts computes it.
 */
import { createHash } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { seededRng } from '../../common/rng';
import { generateEvent, type GeneratedEvent } from '../../simulator/events';

export interface Produced {
  id: string;
  hash: string;
  poison: boolean;
}

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'homeostat-flink-test', brokers, logLevel: logLevel.NOTHING });
}

export async function createTopics(brokers: string[], topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const admin: Admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Events `from`..`from+count-1`; `poisonAt` makes those sequence numbers unparseable. */
export async function produceEvents(brokers: string[], topic: string, from: number, count: number, poisonAt: number[] = []): Promise<Produced[]> {
  const rng = seededRng(from + 7);
  const events: GeneratedEvent[] = [];
  for (let seq = from; seq < from + count; seq++) events.push(generateEvent(rng, seq, 1, { poisonRate: poisonAt.includes(seq) ? 1 : 0 }));
  // Idempotent: a send retried under load must not duplicate the input, or the sink's duplicate
  // count would blame the job for the test's own producer.
  const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 200) {
      await producer.send({ topic, messages: events.slice(i, i + 200).map((e) => ({ key: e.key, value: e.bytes, headers: { id: e.id } })) });
    }
  } finally {
    await producer.disconnect();
  }
  return events.map((e) => ({ id: e.id, hash: e.hash, poison: e.poison }));
}

export interface OutputRecord {
  id: string;
  h: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Everything committed to `topic` so far (read_committed, from the beginning), once it stops growing. */
export async function readCommitted(brokers: string[], topic: string, expectAtLeast: number, timeoutMs = 90_000, settleMs = 3_000): Promise<OutputRecord[]> {
  const consumer = kafkaClient(brokers).consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random().toString(36).slice(2)}`, readUncommitted: false });
  const out: OutputRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = message.value?.toString('utf8') ?? '';
        let id = '?';
        let h = '';
        try {
          const row = JSON.parse(value) as { id?: string; h?: string };
          id = row.id ?? '?';
          h = row.h ?? '';
        } catch {
          // A dead letter: its value is the unreadable input.
        }
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString() ?? '']));
        out.push({ id, h, key: message.key?.toString() ?? null, value, headers });
      },
    });
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    let stableSince = Date.now();
    for (;;) {
      if (out.length !== last) {
        last = out.length;
        stableSince = Date.now();
      }
      if (out.length >= expectAtLeast && Date.now() - stableSince >= settleMs) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export interface SinkVerdict {
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  mismatched: number;
  checksum: string;
  expectedChecksum: string;
}

function checksumOf(pairs: [string, string][]): string {
  const h = createHash('sha256');
  for (const [id, hash] of [...pairs].sort((a, b) => a[0].localeCompare(b[0]))) h.update(`${id}|${hash}\n`);
  return h.digest('hex').slice(0, 16);
}

export function judgeSink(produced: Produced[], output: OutputRecord[]): SinkVerdict {
  const expected = produced.filter((p) => !p.poison);
  const want = new Map(expected.map((p) => [p.id, p.hash]));
  const seen = new Map<string, number>();
  let mismatched = 0;
  for (const r of output) {
    seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
    if (want.get(r.id) !== r.h) mismatched++;
  }
  const lost = [...want.keys()].filter((id) => !seen.has(id)).length;
  const duplicated = [...seen.values()].reduce((n, c) => n + (c - 1), 0);
  return {
    expected: expected.length,
    received: output.length,
    lost,
    duplicated,
    mismatched,
    checksum: checksumOf(output.filter((r) => want.has(r.id)).map((r) => [r.id, r.h])),
    expectedChecksum: checksumOf([...want.entries()]),
  };
}
