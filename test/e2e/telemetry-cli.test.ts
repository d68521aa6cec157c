/**
 * `homeostat telemetry validate | send | dead-letters`, run as an operator runs them: real CLI
 * processes reading stdin, a real `homeostat sentinel` process consuming what `send` published to
 * its embedded log, and the dead letters it wrote listed back with reason, field, rule and source
 * offset. Kafka: `send --log kafka` and `dead-letters --log kafka` against the suite's broker.
 */
import path from 'node:path';
import { KafkaLog, sendToDeadLetter } from '../../bindings/log';
import { testKafkaBrokers, uniqueName } from '../support/services';
import { tempDir, waitFor } from '../sentinel/harness';
import { killChild, spawnSentinel, type SentinelChild } from '../sentinel/process';
import { homeostat, homeostatWithInput } from './cli';

const now = Date.now();
const metric = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({ kind: 'metric', v: 1, ts: now - 1_000, pipeline: 'cli', component: 'enrich', signal: 'latency', value: 4, ...over });

interface DeadLetterRow {
  reason: string;
  field: string;
  rule: string;
  source: { topic: string; partition: number | null; offset: number | null };
  value: string;
}

let sentinel: SentinelChild | undefined;
afterAll(async () => {
  await killChild(sentinel);
});

test('validate prints every error with its line, field and rule, and fails when there is one', async () => {
  const input = [metric(), metric({ v: 2, pipeline: 'has space', value: 'slow' }), 'not json', '', `[${metric()},${metric({ ts: now * 1_000 })}]`].join('\n');
  const human = await homeostatWithInput(['telemetry', 'validate'], {}, input);
  expect(human.code).toBe(2);
  expect(human.stdout).toMatch(/^LINE\s+FIELD\s+RULE\s+MESSAGE/);
  expect(human.stdout).toContain('4 line(s), 2 valid record(s), 5 error(s)');
  const json = await homeostatWithInput(['telemetry', 'validate', '--json'], {}, input);
  const out = JSON.parse(json.stdout) as { lines: number; records: number; errors: { line: number; field: string; rule: string; message: string }[] };
  expect(out.errors.map((e) => [e.line, e.field, e.rule])).toEqual([
    [2, 'v', 'invalid_value'],
    [2, 'pipeline', 'invalid_format'],
    [2, 'value', 'invalid_type'],
    [3, '(root)', 'json'],
    [5, '[1].ts', 'time_window'],
  ]);
  expect(out.errors[4].message).toMatch(/years ahead of the sentinel clock/);
  const ok = await homeostatWithInput(['telemetry', 'validate'], {}, `${metric()}\n${metric({ value: 5 })}\n`);
  expect(ok.code).toBe(0);
  expect(ok.stdout.trim()).toBe('2 line(s), 2 valid record(s), 0 error(s)');
});

test('send publishes to the running sentinel; --raw sends bad lines as they are; dead-letters lists them', async () => {
  const dir = tempDir('telemetry-cli');
  const logFile = path.join(dir, 'log.db');
  const topic = uniqueName('telemetry');
  const env = { HOMEOSTAT_LOG_FILE: logFile, HOMEOSTAT_TELEMETRY_TOPIC: topic };
  sentinel = spawnSentinel(['--log', 'embedded', '--db', path.join(dir, 'state.db'), '--group', uniqueName('g'), '--task-queue', uniqueName('cli'), '--no-kb', '--http-port', 'off', '--status', '200'], env);
  await waitFor(() => sentinel!.output.some((l) => l.startsWith('sentinel ready')), 'the sentinel to start');

  // Invalid lines are refused whole: nothing is sent.
  const refused = await homeostatWithInput(['telemetry', 'send'], env, `${metric()}\n${metric({ value: 'x' })}\n`);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/nothing sent: 1 error\(s\).*line 2 value \(invalid_type\)/);

  const sent = await homeostatWithInput(['telemetry', 'send', '--json'], env, `${metric()}\n${metric({ value: 6 })}\n`);
  expect(sent.code).toBe(0);
  expect(JSON.parse(sent.stdout)).toMatchObject({ topic, log: 'embedded', sent: 2 });

  const bad = ['{"kind":"metric","v":1', metric({ ts: now * 1_000 }), metric({ labels: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])) })];
  const raw = await homeostatWithInput(['telemetry', 'send', '--raw', '--json'], env, `${bad.join('\n')}\n`);
  expect(raw.code).toBe(0);
  const placed = JSON.parse(raw.stdout) as { sent: number; partitions: { partition: number; first: number; last: number }[] };
  expect(placed.sent).toBe(3);

  let rows: DeadLetterRow[] = [];
  await waitFor(async () => {
    const r = await homeostat(['telemetry', 'dead-letters', '--json'], env);
    rows = (JSON.parse(r.stdout) as { deadLetters: DeadLetterRow[] }).deadLetters;
    return rows.length === 3;
  }, 'the sentinel to dead-letter the three bad lines');
  expect(rows.map((r) => [r.field, r.rule, r.value])).toEqual([
    ['(root)', 'json', bad[0]],
    ['ts', 'time_window', bad[1]],
    ['labels', 'too_big', bad[2]],
  ]);
  // The unparseable line has no pipeline to be keyed by: partition 0; the others sit beside the valid records.
  for (const r of rows) {
    expect(r.source.topic).toBe(topic);
    expect(r.reason).toMatch(new RegExp(`^${r.field.replace(/[()[\]]/g, '\\$&')}: `));
  }
  const offsets = placed.partitions.flatMap((p) => Array.from({ length: p.last - p.first + 1 }, (_, i) => `${p.partition}@${p.first + i}`)).sort();
  expect(rows.map((r) => `${r.source.partition}@${r.source.offset}`).sort()).toEqual(offsets);

  const human = await homeostat(['telemetry', 'dead-letters', '--since', '1h'], env);
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(/^AT\s+FIELD\s+RULE\s+SOURCE\s+REASON/);
  expect(human.stdout).toContain(`3 dead letter(s) of ${topic}`);
  const none = await homeostat(['telemetry', 'dead-letters', '--json', '--since', new Date(Date.now() + 60_000).toISOString()], env);
  expect((JSON.parse(none.stdout) as { deadLetters: unknown[] }).deadLetters).toEqual([]);
  const wrong = await homeostat(['telemetry', 'dead-letters', '--since', 'yesterday-ish'], env);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toMatch(/--since must be a duration/);
});

test('send and dead-letters on Kafka', async () => {
  const topic = uniqueName('telemetry');
  const brokers = testKafkaBrokers().join(',');
  const sent = await homeostatWithInput(['telemetry', 'send', '--log', 'kafka', '--brokers', brokers, '--topic', topic, '--raw', '--json'], {}, 'not json at all\n');
  expect(JSON.parse(sent.stdout)).toMatchObject({ topic, log: 'kafka', sent: 1 });
  const log = new KafkaLog({ brokers: testKafkaBrokers() });
  try {
    const [record] = await log.read(topic, 0, 0, 1);
    expect(record.value.toString()).toBe('not json at all');
    await sendToDeadLetter(log, topic, [{ value: record.value, key: null, field: '(root)', rule: 'json', reason: '(root): not JSON', source: { topic, partition: 0, offset: 0 } }]);
  } finally {
    await log.close();
  }
  const listed = await homeostat(['telemetry', 'dead-letters', '--log', 'kafka', '--brokers', brokers, '--topic', topic, '--json'], {});
  expect(listed.code).toBe(0);
  expect((JSON.parse(listed.stdout) as { deadLetters: DeadLetterRow[] }).deadLetters.map((d) => [d.rule, d.source.offset, d.value])).toEqual([['json', 0, 'not json at all']]);
});
