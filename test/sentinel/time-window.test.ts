/**
 * Records dated outside the window around the sentinel's clock (default 5 min ahead, 24 h behind)
 * are dead-lettered with the reason and never reach a component: a timestamp in microseconds
 * would otherwise make every later time difference of that component negative — the component
 * would look open for ever and swallow later crashes — and that state would be snapshotted.
 */
import { CLOCK } from './arbitraries';
import type { CountingOpener } from './harness';
import { localSentinel, logBatch, type LocalSentinel } from './local';

const crash = (ts: number, component = 'enrich'): string => JSON.stringify({ kind: 'event', v: 1, ts, pipeline: 'p', component, signal: 'process', event: 'CRASHED', exitCode: 1 });
const metric = (ts: number, component = 'enrich'): string => JSON.stringify({ kind: 'metric', v: 1, ts, pipeline: 'p', component, signal: 'latency', value: 12 });

let local: LocalSentinel<CountingOpener>;
afterEach(async () => {
  await local.close();
});

test('a microsecond timestamp is dead-lettered, never fed to the component, and a later crash still opens an incident', async () => {
  local = localSentinel({ clock: () => CLOCK });
  const micro = (CLOCK - 120_000) * 1_000;
  const first = await local.sentinel.handleBatch(logBatch(local.topic, 0, 0, [crash(micro), metric(micro, 'sink')]));
  expect(first.actions).toEqual([]);
  expect(first.rejected.map((r) => [r.field, r.rule])).toEqual([
    ['ts', 'time_window'],
    ['ts', 'time_window'],
  ]);
  expect(first.rejected[0].reason).toMatch(/^ts: \d+ lies [\d,]+ years ahead of the sentinel clock; accepted: up to 5 min ahead and 24 h behind/);
  // No component saw it: nothing in memory, nothing in the snapshot.
  expect(local.sentinel.engine.monitors()).toEqual([]);
  await local.sentinel.snapshot();
  expect(JSON.stringify(local.sentinel.store.load(local.topic, 0)?.snapshot)).not.toContain(String(micro));

  const later = await local.sentinel.handleBatch(logBatch(local.topic, 0, 2, [crash(CLOCK - 60_000)]));
  expect(later.actions.map((a) => [a.kind, a.component, a.input?.faultClass])).toEqual([['open', 'enrich', 'crash']]);
  const dead = local.deadLetters();
  expect(dead.map((d) => [d.field, d.rule, d.source?.offset])).toEqual([
    ['ts', 'time_window', 0],
    ['ts', 'time_window', 1],
  ]);
  expect(dead[0].value.toString()).toBe(crash(micro));
});

test('seconds instead of milliseconds, and stale records, are behind the window; the window is configurable', async () => {
  local = localSentinel({ clock: () => CLOCK, config: { limits: { timeWindow: { aheadMs: 1_000, behindMs: 600_000 } } } });
  const r = await local.sentinel.handleBatch(
    logBatch(local.topic, 0, 0, [
      metric(Math.floor(CLOCK / 1_000)), // seconds
      metric(CLOCK - 3_600_000), // an hour old: inside the default window, outside this one
      metric(CLOCK + 2_000), // 2 s ahead: inside the default window, outside this one
      metric(CLOCK + 500),
      metric(CLOCK - 599_000),
    ]),
  );
  expect(r.valid).toBe(2);
  expect(r.rejected.map((x) => [x.field, x.rule, x.source?.offset])).toEqual([
    ['ts', 'time_window', 0],
    ['ts', 'time_window', 1],
    ['ts', 'time_window', 2],
  ]);
  expect(r.rejected[0].reason).toMatch(/behind the sentinel clock; accepted: up to 1 s ahead and 10 min behind/);
  expect(r.rejected[2].reason).toMatch(/lies 2 s ahead/);
  expect(local.sentinel.engine.counters.outOfWindow).toBe(3);
});

test('inside a batch message, only the misdated element is dead-lettered', async () => {
  local = localSentinel({ clock: () => CLOCK });
  const r = await local.sentinel.handleBatch(logBatch(local.topic, 0, 0, [`[${metric(CLOCK - 1_000)},${metric(CLOCK * 1_000)},${crash(CLOCK - 500)}]`]));
  expect(r.valid).toBe(2);
  expect(r.rejected.map((x) => [x.field, x.rule])).toEqual([['[1].ts', 'time_window']]);
  expect(JSON.parse(r.rejected[0].value.toString())).toMatchObject({ ts: CLOCK * 1_000 });
  expect(r.actions.map((a) => a.kind)).toEqual(['open']);
});
