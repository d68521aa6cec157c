import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { testKafkaBrokers, uniqueName } from '../support/services';

describe('Kafka broker (KRaft, from Maven Central)', () => {
  const kafka = new Kafka({ clientId: 'homeostat-infra-test', brokers: testKafkaBrokers(), logLevel: logLevel.WARN });
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  afterEach(async () => {
    await producer?.disconnect();
    await consumer?.disconnect();
    producer = undefined;
    consumer = undefined;
  });

  it('reports a one-node cluster', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      expect(cluster.controller).toBe(cluster.brokers[0].nodeId);
    } finally {
      await admin.disconnect();
    }
  });

  it('delivers produced records to a consumer group, in order, with keys and headers', async () => {
    const topic = uniqueName('infra-roundtrip');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }

    const sent = [1, 2, 3].map((n) => ({ key: `pipeline-${n}`, value: JSON.stringify({ n }), headers: { source: 'test' } }));
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, messages: sent });

    consumer = kafka.consumer({ groupId: uniqueName('infra-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; value: string; source: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer!
        .run({
          eachMessage: async ({ message }) => {
            received.push({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              source: message.headers?.source?.toString() ?? '',
            });
            if (received.length === sent.length) resolve();
          },
        })
        .catch(reject);
    });

    expect(received).toEqual(sent.map((m) => ({ key: m.key, value: m.value, source: 'test' })));
  });
});
