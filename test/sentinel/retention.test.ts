/**
 * The telemetry topic and its dead-letter topic keep a configurable retention, by time and by
 * bytes: the embedded log deletes what it no longer covers (the sentinel runs it every
 * `retention.checkEveryMs`), and Kafka topics the sentinel creates carry `retention.ms` and
 * `retention.bytes` for the broker to enforce.
 */
import path from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import { deadLetterTopic, EmbeddedLog, KafkaLog } from '../../bindings/log';
import { parseSentinelConfig } from '../../sentinel/config';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import { testKafkaBrokers, uniqueName } from '../support/services';
import { CLOCK } from './arbitraries';
import { CountingOpener, tempDir, waitFor } from './harness';
import { localSentinel } from './local';

test('the embedded log drops records older than the retention time and the oldest ones beyond its bytes', async () => {
  const log = new EmbeddedLog({ file: path.join(tempDir('retention'), 'log.db') });
  try {
    const now = 1_000_000_000_000;
    await log.createTopic('r', { partitions: 1 });
    await log.append('r', Array.from({ length: 100 }, (_, i) => ({ value: 'x'.repeat(100), timestamp: now - (100 - i) * 60_000 })));
    // 30 minutes: the last 30 records are young enough.
    expect(log.enforceRetentionSync('r', { ms: 30 * 60_000 }, now)).toBe(70);
    expect(await log.earliestOffsets('r')).toEqual([{ partition: 0, offset: 70 }]);
    // 1,000 bytes of values: the newest 10 records.
    expect(log.enforceRetentionSync('r', { bytes: 1_000 }, now)).toBe(20);
    expect((await log.read('r', 0, 0, 1_000)).map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 90 + i));
    expect(log.enforceRetentionSync('r', { ms: 30 * 60_000, bytes: 1_000 }, now)).toBe(0);
  } finally {
    await log.close();
  }
});

test('a sentinel on the embedded log keeps its dead-letter topic within its retention', async () => {
  const local = localSentinel({ clock: () => CLOCK, config: { retention: { deadLetters: { ms: 3_600_000, bytes: 4_000 }, checkEveryMs: 50 } } });
  try {
    await local.sentinel.start();
    // 200 bad messages of 100 bytes each, all on one partition (one key).
    await local.log.append(
      local.topic,
      Array.from({ length: 200 }, () => ({ key: 'p', value: `{"kind":"metric","oops":"${'y'.repeat(80)}"}` })),
    );
    await waitFor(() => local.sentinel.stats.deadLettered === 200, 'every bad message dead-lettered');
    await waitFor(() => local.sentinel.stats.retentionDeleted > 0, 'a retention pass');
    const dlq = deadLetterTopic(local.topic);
    await waitFor(() => {
      const bytes = local.log.heads(dlq).map((h) => local.log.readSync(dlq, h.partition, h.start_offset, 10_000).reduce((n, r) => n + r.value.length, 0));
      return bytes.every((b) => b <= 4_000);
    }, 'the dead-letter topic within 4,000 bytes per partition');
    // What remains is the newest: the last dead letter is still there.
    const last = local.log.heads(dlq).find((h) => h.next_offset > 0)!;
    expect(local.log.readSync(dlq, last.partition, last.next_offset - 1, 1)).toHaveLength(1);
  } finally {
    await local.close();
  }
});

test('Kafka topics the sentinel creates carry its retention', async () => {
  const topic = uniqueName('telemetry');
  const log = new KafkaLog({ brokers: testKafkaBrokers() });
  const config = parseSentinelConfig({ retention: { telemetry: { ms: 3 * 86_400_000, bytes: 512 * 1024 * 1024 }, deadLetters: { ms: 86_400_000, bytes: 64 * 1024 * 1024 } } });
  const sentinel = new Sentinel({ log, config, factory: registryFactory, opener: new CountingOpener(), stateFile: path.join(tempDir('kafka-retention'), 's.db'), topic, groupId: uniqueName('g'), partitions: 1 });
  const admin = log.kafka.admin();
  try {
    await sentinel.start();
    await admin.connect();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [topic, deadLetterTopic(topic)].map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'retention.bytes'] })),
    });
    const settings = Object.fromEntries(described.resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]));
    expect(settings).toEqual({
      [topic]: { 'retention.ms': String(3 * 86_400_000), 'retention.bytes': String(512 * 1024 * 1024) },
      [deadLetterTopic(topic)]: { 'retention.ms': String(86_400_000), 'retention.bytes': String(64 * 1024 * 1024) },
    });
  } finally {
    await admin.disconnect();
    await sentinel.stop();
    await log.close();
  }
});
