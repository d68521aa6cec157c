/**
 * The sentinel on the embedded log (the default for a laptop and the demo): a stop/start in the
 * middle of the stream resumes from the snapshot and matches an uninterrupted run; an unreadable
 * snapshot costs the detector state but never stops consumption.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { EmbeddedLog } from '../../bindings/log';
import { parseSentinelConfig } from '../../sentinel/config';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import { asMessages, CountingOpener, tempDir, waitFor } from './harness';
import { interleave, metricStream } from './streams';
import type { TelemetryRecord } from '../../sentinel/telemetry';

const config = parseSentinelConfig({});
const input = interleave(
  metricStream({ pipeline: 'p1', component: 'a', n: 1000, stepAt: 600, shift: 12 }),
  metricStream({ pipeline: 'p2', component: 'b', n: 1000, stepAt: 300, shift: -12, seed: 5 }),
);
const actionsOf = (o: CountingOpener): string[] =>
  [...o.opens.map((x) => `open ${x.input.pipeline}/${x.input.component} ${x.evidence.at}`), ...o.evidences.map((x) => `evidence ${x.pipeline}/${x.component} ${x.evidence.at}`)].sort();

function sentinel(dir: string, log: EmbeddedLog, opener: CountingOpener, lines: string[] = []): Sentinel {
  return new Sentinel({
    log,
    config,
    factory: registryFactory,
    opener,
    stateFile: path.join(dir, 'state.db'),
    topic: 't',
    partitions: 2,
    consumer: { memberId: 'm1', pollMs: 5, heartbeatMs: 100 },
    logger: (l) => lines.push(l),
  });
}

test('stop mid-stream and start again: the same decisions as an uninterrupted run', async () => {
  const refDir = tempDir('emb-ref');
  const refLog = new EmbeddedLog({ file: path.join(refDir, 'log.db') });
  const refOpener = new CountingOpener();
  const ref = sentinel(refDir, refLog, refOpener);
  await ref.start();
  await refLog.append('t', asMessages(input));
  await waitFor(() => ref.engine.counters.records === input.length && ref.dispatcher.queued === 0, 'the reference run');
  await ref.stop();
  await refLog.close();

  const dir = tempDir('emb');
  const log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
  const opener = new CountingOpener();
  const first = sentinel(dir, log, opener);
  await first.start();
  await log.append('t', asMessages(input.slice(0, 900)));
  await waitFor(() => first.engine.counters.records === 900, 'the first 900 records');
  await first.stop();
  const lines: string[] = [];
  const second = sentinel(dir, log, opener, lines);
  await second.start();
  await log.append('t', asMessages(input.slice(900)));
  await waitFor(() => second.engine.counters.records === input.length - 900 && second.dispatcher.queued === 0, 'the rest');
  await second.stop();
  await log.close();
  expect(lines.filter((l) => /restored snapshot at offset 900/.test(l))).toHaveLength(1);
  expect(actionsOf(opener)).toEqual(actionsOf(refOpener));
  expect(refOpener.opens).toHaveLength(2);
});

test('an unreadable snapshot: fresh detectors from its offset, consumption goes on', async () => {
  const dir = tempDir('emb-bad');
  const log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
  const first = sentinel(dir, log, new CountingOpener());
  await first.start();
  await log.append('t', asMessages(input.slice(0, 200)));
  await waitFor(() => first.engine.counters.records === 200, 'the first records');
  await first.stop();
  const db = new Database(path.join(dir, 'state.db'));
  db.prepare("UPDATE sentinel_snapshots SET state = '{\"v\":1,\"components\":[{\"broken\":true}],\"pending\":[]}'").run();
  db.close();
  const lines: string[] = [];
  const second = sentinel(dir, log, new CountingOpener(), lines);
  await second.start();
  await log.append('t', asMessages(input.slice(200, 400)));
  await waitFor(() => second.engine.counters.records === 200, 'the next records, and no re-read of the first');
  await second.stop();
  await log.close();
  expect(lines.filter((l) => l.includes('snapshot unreadable')).length).toBeGreaterThan(0);
});

test('the committed offset never passes a record whose action is undelivered: a successor without this snapshot reads it again', async () => {
  const dir = tempDir('emb-pending');
  const log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
  // Temporal is "slow": opens wait until released, so the crash's action stays pending.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const opener = new CountingOpener();
  const slow = Object.assign(Object.create(opener) as CountingOpener, { open: async (...args: Parameters<CountingOpener['open']>) => { await gate; return opener.open(...args); } });
  const s = sentinel(dir, log, slow);
  await s.start();
  try {
  const metrics = metricStream({ pipeline: 'p1', component: 'a', n: 50 });
  const at = metrics.at(-1)!.ts + 1;
  const crash: TelemetryRecord = { kind: 'event', v: 1, ts: at, pipeline: 'p1', component: 'a', signal: 'process', event: 'CRASHED', exitCode: 137 };
  await log.append('t', asMessages([...metrics, crash, ...metricStream({ pipeline: 'p1', component: 'a', n: 20, seed: 9, t0: at + 1 })]));
  await waitFor(() => s.engine.counters.records === 71, 'every record read');
  await s.snapshot();
  const pending = [...s.engine.partitions.values()].flatMap((st) => st.pending);
  expect(pending.map((a) => a.kind)).toContain('open');
  const crashAt = Math.min(...pending.map((a) => a.source.offset));
  const committed = log.committedSync(s.groupId, 't').find((o) => o.partition === pending[0]!.source.partition);
  // At the crash's record, not past the 20 records read after it.
  expect(committed?.offset).toBe(crashAt);
  release();
  await waitFor(() => s.dispatcher.queued === 0 && opener.opens.length === 1, 'the open delivered');
  await s.snapshot();
  expect(log.committedSync(s.groupId, 't').find((o) => o.partition === pending[0]!.source.partition)?.offset).toBeGreaterThan(crashAt);
  } finally {
    // Also when an assertion failed: the held open must not keep the sentinel from stopping.
    release();
    await s.stop();
    await log.close();
  }
});
