/**
 * Whatever a telemetry message holds, it ends in the loop or in the dead-letter topic with a
 * reason; no message stalls its partition; no incident action of a batch is lost. Driven through
 * `Sentinel.handleBatch` — what the consumer calls in production: decode, time window and caps,
 * the engine, the dead-letter topic of a real embedded log, the dispatcher and its ledger — with
 * batches of valid records of every kind mixed with deep nesting, huge strings, stray bytes, bad
 * timestamps and over-full maps. (Incident actions go to a recording opener in place of Temporal
 * so that hundreds of batches run in seconds; delivery to Temporal is covered end to end in
 * test/e2e/sentinel-*.test.ts.)
 */
import fc from 'fast-check';
import { Engine } from '../../sentinel/engine';
import { parseSentinelConfig } from '../../sentinel/config';
import { registryFactory } from '../../sentinel/registry-factory';
import { MAX_BATCH_RECORDS, MAX_MESSAGE_BYTES } from '../../sentinel/validate';
import { anyMessage, CLOCK, deepJson } from './arbitraries';
import type { CountingOpener } from './harness';
import { localSentinel, logBatch, type LocalSentinel } from './local';

/** How many records (or rejections) a message must account for. */
function elementsOf(b: Buffer): number {
  if (b.length > MAX_MESSAGE_BYTES) return 1;
  let v: unknown;
  try {
    v = JSON.parse(b.toString('utf8'));
  } catch {
    return 1;
  }
  return Array.isArray(v) && v.length > 0 && v.length <= MAX_BATCH_RECORDS ? v.length : 1;
}

const deliveredIds = (o: CountingOpener): string[] => [...o.opens.map((x) => x.evidence.id ?? ''), ...o.evidences.map((x) => x.evidence.id ?? '')];

describe('every message ends in the loop or in the dead-letter topic', () => {
  let local: LocalSentinel<CountingOpener>;
  beforeEach(() => {
    local = localSentinel({ clock: () => CLOCK, config: { evidence: { debounceMs: 0 } } });
  });
  afterEach(async () => {
    await local.close();
  });

  test('the poison pill: a 300,000-deep element after a crash neither escapes the batch nor costs the crash its incident', async () => {
    const crash = JSON.stringify({ kind: 'event', v: 1, ts: CLOCK - 1_000, pipeline: 'p1', component: 'a', signal: 'process', event: 'CRASHED', exitCode: 1 });
    const deep = deepJson(300_000);
    const poison = `[${JSON.stringify({ kind: 'metric', v: 1, ts: CLOCK - 900, pipeline: 'p1', component: 'b', signal: 'latency', value: 1 })},${deep}]`;
    expect(poison.length).toBeGreaterThan(600_000);
    const batch = logBatch(local.topic, 0, 0, [crash, poison, deep]);

    const result = await local.sentinel.handleBatch(batch);
    expect(result.actions.map((a) => [a.kind, a.component])).toEqual([['open', 'a']]);
    expect(result.valid).toBe(2);
    expect(result.rejected.map((r) => [r.field, r.rule, r.source?.offset])).toEqual([
      ['[1]', 'invalid_type', 1],
      // A deep array alone is a batch of one element, nested one level less.
      ['[0]', 'invalid_type', 2],
    ]);
    // The element that JSON.stringify cannot encode goes out as the whole message, byte for byte.
    expect(result.rejected[0].value.toString()).toBe(poison);
    expect(result.rejected[1].value.toString()).toBe(deep);
    expect(result.rejected[0].reason).toMatch(/whole message/);
    expect(local.sentinel.engine.partition(local.topic, 0).offset).toBe(3);
    await local.sentinel.dispatcher.idle();
    expect(local.opener.opens.map((o) => o.input.component)).toEqual(['a']);
    expect(local.deadLetters().map((d) => d.source?.offset)).toEqual([1, 2]);
    // The state (with its recent records) still snapshots, and the partition moves on.
    await local.sentinel.snapshot();
    const again = await local.sentinel.handleBatch(batch);
    expect(again.valid + again.rejected.length).toBe(0);
  });

  test('property: batches of any messages: every element accounted for, the offset advances, every action is delivered once', async () => {
    let offset = 0;
    let rejectedTotal = 0;
    const actionKeys: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(anyMessage, { minLength: 1, maxLength: 25 }), async (messages) => {
        const batch = logBatch(local.topic, 0, offset, messages);
        const result = await local.sentinel.handleBatch(batch);
        offset += messages.length;
        expect(local.sentinel.engine.partition(local.topic, 0).offset).toBe(offset);
        expect(result.valid + result.rejected.length).toBe(messages.reduce((n, m) => n + elementsOf(m), 0));
        for (const r of result.rejected) {
          expect(r.reason).toMatch(/^\S+: .+/);
          expect(r.field).toBeTruthy();
          expect(r.rule).toBeTruthy();
          expect(r.source?.offset).toBeGreaterThanOrEqual(batch.records[0].offset);
          expect(r.source?.offset).toBeLessThan(offset);
        }
        rejectedTotal += result.rejected.length;
        actionKeys.push(...result.actions.map((a) => a.key));
        await local.sentinel.snapshot();
      }),
      { numRuns: 100, seed: 20260110 },
    );
    await local.sentinel.dispatcher.idle();
    expect(actionKeys.length).toBeGreaterThan(0);
    expect(deliveredIds(local.opener).sort()).toEqual([...actionKeys].sort());
    expect(local.sentinel.engine.partition(local.topic, 0).pending).toEqual([]);
    expect(local.deadLetters()).toHaveLength(rejectedTotal);
    // The saved state restores: nothing unencodable was kept.
    const stored = local.sentinel.store.load(local.topic, 0);
    expect(stored?.offset).toBe(offset);
    expect(() => new Engine(parseSentinelConfig({}), registryFactory).restorePartition(local.topic, 0, stored!.offset, stored!.snapshot)).not.toThrow();
  });

  test('a dead-letter topic that refuses writes holds the partition and its snapshot; the actions still go out; nothing is lost', async () => {
    await local.close();
    let refuse = true;
    const lines: string[] = [];
    local = localSentinel({
      clock: () => CLOCK,
      lines,
      wrapLog: (log) =>
        new Proxy(log, {
          get(target, prop, receiver) {
            if (prop === 'append') {
              return (topic: string, messages: unknown[]) => (refuse && topic.endsWith('.dlq') ? Promise.reject(new Error('disk full')) : target.append(topic, messages as never));
            }
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
    });
    await local.sentinel.snapshot([{ topic: local.topic, partition: 0 }]);
    const crash = JSON.stringify({ kind: 'event', v: 1, ts: CLOCK - 1_000, pipeline: 'p1', component: 'a', signal: 'process', event: 'CRASHED' });
    const result = await local.sentinel.handleBatch(logBatch(local.topic, 0, 0, [crash, 'not json', crash.replace('"a"', '"b"')]));
    expect(result.rejected).toHaveLength(1);
    await local.sentinel.dispatcher.idle();
    expect(local.opener.opens.map((o) => o.input.component)).toEqual(['a', 'b']);
    // The offsets that cover the unwritten dead letter are not snapshotted.
    await local.sentinel.snapshot([{ topic: local.topic, partition: 0 }]);
    expect(local.sentinel.store.load(local.topic, 0)?.offset ?? 0).toBe(0);
    expect(lines.some((l) => /snapshot of t\[0\] deferred/.test(l))).toBe(true);
    refuse = false;
    await local.sentinel.snapshot([{ topic: local.topic, partition: 0 }]);
    expect(local.sentinel.store.load(local.topic, 0)?.offset).toBe(3);
    expect(local.deadLetters().map((d) => [d.rule, d.source?.offset, d.value.toString()])).toEqual([['json', 1, 'not json']]);
  });
});
