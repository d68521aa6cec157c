import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../../infra/kafka';
import { isProcessAlive } from '../../infra/process';


async function readAll(brokers: string[], topic: string, expected: number): Promise<string[]> {
  const consumer = new Kafka({ brokers, logLevel: logLevel.WARN }).consumer({ groupId: `reader-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString() ?? '');
            if (values.length === expected) resolve();
          },
        })
        .catch(reject);
    });
    return values;
  } finally {
    await consumer.disconnect();
  }
}

describe('Kafka broker with a data directory', () => {
  it('keeps records across a clean stop and a restart, and leaves no process behind', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-kafka-restart-'));
    const topic = 'restart-check';
    try {
      const first = await startKafka({ dataDir });
      try {
        const producer = new Kafka({ brokers: first.brokers, logLevel: logLevel.WARN }).producer();
        await producer.connect();
        await producer.send({ topic, messages: [{ value: 'before-restart' }] });
        await producer.disconnect();
      } finally {
        await first.stop();
      }
      expect(isProcessAlive(first.pid)).toBe(false);
      // Formatted once; the second start must reuse the storage, not reformat it.
      expect(fs.existsSync(path.join(dataDir, 'logs', 'meta.properties'))).toBe(true);

      const second = await startKafka({ dataDir });
      try {
        expect(await readAll(second.brokers, topic, 1)).toEqual(['before-restart']);
      } finally {
        await second.stop();
      }
      expect(isProcessAlive(second.pid)).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
