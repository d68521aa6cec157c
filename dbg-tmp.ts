import fs from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
async function main() {
  const kafka = new Kafka({ brokers: fs.readFileSync('/tmp/dbg-brokers', 'utf8').split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin(); await admin.connect();
  const topic = `dbg-t-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const g = `g-${Date.now()}`;
  let t = Date.now();
  await admin.setOffsets({ groupId: g, topic, partitions: [{ partition: 0, offset: '0' }] }); console.log('setOffsets', Date.now() - t);
  t = Date.now();
  await admin.fetchOffsets({ groupId: g, topics: [topic] }); console.log('fetchOffsets', Date.now() - t);
  t = Date.now();
  await admin.setOffsets({ groupId: g, topic, partitions: [{ partition: 0, offset: '0' }] }); console.log('setOffsets2', Date.now() - t);
  await admin.disconnect();
}
void main();
