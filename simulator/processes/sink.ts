/**
 * Sink: upserts scored records by event id into the sink database (idempotent), committing its
 * input offsets after each transaction — at-least-once delivery plus idempotent writes gives an
 * exactly-once effect.
 */
import type { EmbeddedConsumerOptions } from '../../bindings/log/embedded-consumer';
import { groupId, pipelinePaths } from '../config';
import { SinkStore, type SinkRow } from '../sink-store';
import { runMain, type Runtime } from './runtime';

async function main(rt: Runtime): Promise<void> {
  const sink = new SinkStore(pipelinePaths(rt.config.dir).sink);
  let written = 0;
  let rewritten = 0;
  let latencySum = 0;
  let latencyN = 0;
  let windowStart = Date.now();
  const options: EmbeddedConsumerOptions = {
    groupId: groupId(rt.config, 'sink'),
    topics: [rt.topic('scored')],
    fromBeginning: true,
    autoCommit: true,
    maxBatchRecords: 1_000,
    memberId: rt.instance,
    pollMs: 50,
  };
  const consumer = rt.log.consumer(options);
  rt.onStop(async () => {
    await consumer.stop();
    sink.close();
  });
  await consumer.run(async (batch) => {
    if (rt.stopping()) return;
    const rows: SinkRow[] = batch.records.map((r) => {
      const v = JSON.parse(r.value.toString('utf8')) as { id: string; key: string; ts: number; h: string; p: number; modelVersion: string };
      return { id: v.id, key: v.key, ts: v.ts, h: v.h, p: v.p, modelVersion: v.modelVersion };
    });
    await rt.paced(rows.length, (from, to) => {
      const r = sink.upsert(rows.slice(from, to));
      written += r.inserted;
      rewritten += r.rewritten;
    });
    const now = Date.now();
    for (const row of rows) {
      latencySum += now - row.ts;
      rt.recordLatency(now - row.ts);
      latencyN++;
    }
  });
  const report = setInterval(() => {
    const secs = (Date.now() - windowStart) / 1000;
    rt.emit({ kind: 'metric', name: 'throughput', value: (written + rewritten) / secs, unit: 'records/s' });
    if (latencyN > 0) rt.emit({ kind: 'metric', name: 'latency_ms', value: latencySum / latencyN, unit: 'ms' });
    rt.setInfo({ throughput: (written + rewritten) / secs, writtenPerSec: written / secs, rewrittenPerSec: rewritten / secs });
    written = rewritten = latencySum = latencyN = 0;
    windowStart = Date.now();
  }, 1_000);
  rt.onStop(async () => clearInterval(report));
}

if (require.main === module) runMain('sink', main);
