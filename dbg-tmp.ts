import fs from 'node:fs';
import { KafkaLog } from './bindings/log';
import { parseSentinelConfig } from './sentinel/config';
import { registryFactory } from './sentinel/registry-factory';
import { Sentinel } from './sentinel/sentinel';
import { CountingOpener, asMessages } from './test/sentinel/harness';
import { metricStream } from './test/sentinel/streams';
async function main() {
  const log = new KafkaLog({ brokers: fs.readFileSync('/tmp/dbg-brokers', 'utf8').split(',') });
  const opener = new CountingOpener();
  const topic = `dbg-${Date.now()}`;
  const s = new Sentinel({ log, config: parseSentinelConfig({ evidence: { debounceMs: 0 } }), factory: registryFactory, opener, stateFile: `/tmp/${topic}.db`, topic, groupId: topic, partitions: 2, snapshotIntervalMs: 500, logger: console.log });
  await s.start();
  console.log('started', s.assignment());
  const pipeline = 'pp';
  const first = metricStream({ pipeline, component: 'enrich', n: 300, stepAt: 150, shift: 20 });
  await log.append(topic, asMessages(first));
  await log.append(topic, [{ key: pipeline, value: JSON.stringify({ kind: 'event', v: 1, ts: Date.now(), pipeline, component: 'score', signal: 'process', event: 'OOMKilled', exitCode: 137 }) }]);
  for (let i = 0; i < 20; i++) { await new Promise((r) => setTimeout(r, 500)); console.log(s.engine.counters.records, s.stats.batches, s.dispatcher.stats, opener.opens.length, [...s.stats.lag.values()]); if (opener.opens.length >= 2) break; }
  await s.stop(); await log.close();
}
void main();
