/**
 * The dispatcher between the sentinel and Temporal: bounded (a full queue pauses consumption,
 * nothing is dropped), classified errors (transient ones retried with backoff, permanent ones
 * dead-lettered with their reason), no component able to block another, and an attempted action
 * never sent twice when the incident's history already holds it. Temporal's side is an opener
 * scripted per component (hangs, gRPC errors), which real Temporal cannot be made to do on cue;
 * the real thing is in test/e2e/sentinel-*.test.ts.
 */
import { ServiceError } from '@temporalio/client';
import type { IncidentAction } from '../../sentinel/component';
import { parseSentinelConfig } from '../../sentinel/config';
import { Dispatcher } from '../../sentinel/dispatcher';
import type { IncidentOpener } from '../../sentinel/incidents';
import { StateStore } from '../../sentinel/state-store';
import type { Evidence, IncidentInput } from '../../workflows/shared';
import { CLOCK } from './arbitraries';
import { asMessages, waitFor } from './harness';
import { localSentinel, logBatch } from './local';

const grpc = (code: number, text: string): ServiceError => new ServiceError(`Failed to signal Workflow`, { cause: Object.assign(new Error(`${code} ${text}`), { code }) });

type Behaviour = (call: number, component: string) => 'ok' | 'hang' | Error;

/** Delivers, fails or hangs per component, as scripted; remembers what arrived and in which order. */
class ScriptedOpener implements IncidentOpener {
  readonly arrived: { component: string; id: string }[] = [];
  readonly calls = new Map<string, number>();
  constructor(private readonly behaviour: Behaviour) {}
  private async act(component: string, evidence: Evidence): Promise<void> {
    const n = (this.calls.get(component) ?? 0) + 1;
    this.calls.set(component, n);
    const b = this.behaviour(n, component);
    if (b === 'hang') return new Promise<void>(() => undefined);
    if (b instanceof Error) throw b;
    this.arrived.push({ component, id: evidence.id ?? '' });
  }
  async open(input: IncidentInput, evidence: Evidence): Promise<void> {
    await this.act(input.component, evidence);
  }
  async evidence(_p: string, component: string, evidence: Evidence): Promise<boolean> {
    await this.act(component, evidence);
    return true;
  }
}

function action(component: string, n: number, kind: 'open' | 'evidence' = 'open'): IncidentAction {
  const key = `t:0:${n}:p/${component}:0`;
  const evidence: Evidence = { id: key, at: new Date(CLOCK).toISOString(), source: 'sentinel', summary: `${component} #${n}`, hardFault: true };
  return {
    key,
    kind,
    source: { topic: 't', partition: 0, offset: n },
    pipeline: 'p',
    component,
    evidence,
    ...(kind === 'open' ? { input: { pipeline: 'p', component, trigger: { kind: 'hard-fault', detail: 'x', at: evidence.at }, evidence: [] } } : {}),
  };
}

function dispatcher(opener: IncidentOpener, overrides: Record<string, number> = {}, undeliverable: string[] = []): { d: Dispatcher; store: StateStore } {
  const store = new StateStore(':memory:', 'g');
  const settings = parseSentinelConfig({ dispatch: { sendTimeoutMs: 200, backoffInitialMs: 20, backoffMaxMs: 200, maxUncertainAttempts: 3, ...overrides } }).dispatch;
  const d = new Dispatcher(opener, store, { onSent: () => undefined, onUndeliverable: async (a, reason) => void undeliverable.push(`${a.component}: ${reason}`) }, settings);
  return { d, store };
}

test('sixteen components that hang and sixteen that fail for ever do not keep a seventeenth from being delivered', async () => {
  const opener = new ScriptedOpener((_n, c) => (c.startsWith('hang') ? 'hang' : c.startsWith('down') ? grpc(14, 'UNAVAILABLE: connection refused') : 'ok'));
  const { d, store } = dispatcher(opener);
  d.enqueue([...Array.from({ length: 16 }, (_, i) => action(`hang${i}`, i)), ...Array.from({ length: 16 }, (_, i) => action(`down${i}`, 100 + i)), action('ok', 200), action('ok', 201, 'evidence')]);
  await waitFor(() => opener.arrived.length === 2, 'the healthy component delivered');
  expect(opener.arrived.map((x) => x.id)).toEqual([action('ok', 200).key, action('ok', 201).key]);
  // The stuck ones are retried, not given up on: transient errors and timeouts keep them queued.
  await waitFor(() => [...opener.calls].filter(([c, n]) => c.startsWith('down') && n >= 2).length === 16, 'every failing component retried');
  expect(d.queued).toBe(32);
  expect(d.stats.deadLettered).toBe(0);
  d.stop();
  store.close();
});

test('a component whose incident keeps refusing cannot fill the queue alone: its evidence beyond the cap is dead-lettered, the others go on', async () => {
  const opener = new ScriptedOpener((_n, c) => (c === 'stuck' ? grpc(8, 'RESOURCE_EXHAUSTED: too many signals') : 'ok'));
  const undeliverable: string[] = [];
  const { d, store } = dispatcher(opener, { maxPerComponent: 10 }, undeliverable);
  d.enqueue([action('stuck', 0), ...Array.from({ length: 49 }, (_, i) => action('stuck', 1 + i, 'evidence')), action('ok', 100), action('ok', 101, 'evidence')]);
  await waitFor(() => opener.arrived.length === 2 && undeliverable.length === 40, 'the healthy component delivered and the excess dead-lettered');
  expect(undeliverable[0]).toBe('stuck: evidence for p/stuck dead-lettered: 10 actions of this component already wait (dispatch.maxPerComponent)');
  expect(d.queued).toBe(10);
  expect(d.stats).toMatchObject({ shed: 40, deadLettered: 40 });
  d.stop();
  store.close();
});

test('errors are classified: transient ones retried until delivered, permanent ones dead-lettered at once, unknown ones after a few attempts', async () => {
  const opener = new ScriptedOpener((n, c) => {
    if (c === 'flaky') return n <= 2 ? grpc(14, 'UNAVAILABLE') : 'ok';
    if (c === 'refused' && n === 1) return grpc(3, 'INVALID_ARGUMENT: blob size exceeds limit');
    if (c === 'weird') return new Error('something odd');
    return 'ok';
  });
  const undeliverable: string[] = [];
  const { d, store } = dispatcher(opener, {}, undeliverable);
  d.enqueue([action('flaky', 1), action('refused', 2), action('refused', 3, 'evidence'), action('weird', 4)]);
  await waitFor(() => d.queued === 0, 'every action done with');
  expect(opener.arrived.map((x) => x.id).sort()).toEqual([action('flaky', 1).key, action('refused', 3).key].sort());
  expect(opener.calls.get('flaky')).toBe(3);
  expect(opener.calls.get('weird')).toBe(3);
  expect(undeliverable).toEqual([
    `refused: open for p/refused not delivered after 1 attempt: INVALID_ARGUMENT: Failed to signal Workflow: 3 INVALID_ARGUMENT: blob size exceeds limit`,
    `weird: open for p/weird not delivered after 3 attempts: something odd`,
  ]);
  expect(d.stats).toMatchObject({ deadLettered: 2, failures: 6 });
  // Dead-lettered actions count as done: a replay does not send or dead-letter them again.
  expect(store.isSent(action('refused', 2).key)).toBe(true);
  d.stop();
  store.close();
});

test('an action attempted before (the process died before the ledger knew) is looked for first, and not sent again when it arrived', async () => {
  const opener = new ScriptedOpener(() => 'ok');
  const found = new Set([action('a', 1).key]);
  const withCheck: IncidentOpener = Object.assign(opener, { delivered: async (_p: string, _c: string, id: string) => found.has(id) });
  const { d, store } = dispatcher(withCheck);
  store.markAttempt(action('a', 1).key, 't', 0, 1);
  store.markAttempt(action('b', 2).key, 't', 0, 2);
  d.enqueue([action('a', 1), action('b', 2)]);
  await waitFor(() => d.queued === 0, 'both done with');
  expect(opener.arrived.map((x) => x.component)).toEqual(['b']);
  expect(d.stats.foundDelivered).toBe(1);
  expect(store.isSent(action('a', 1).key) && store.isSent(action('b', 2).key)).toBe(true);
  d.stop();
  store.close();
});

test('after a takeover, a record observed before this process owned its partition is looked for first (its previous owner may have sent it); a later one is not', async () => {
  const opener = new ScriptedOpener(() => 'ok');
  const lookedFor: string[] = [];
  // The opener says every action already arrived: only the ones looked up are kept from sending.
  const withCheck: IncidentOpener = Object.assign(opener, {
    delivered: async (_p: string, _c: string, id: string) => {
      lookedFor.push(id);
      return id === action('a', 1).key;
    },
  });
  const { d, store } = dispatcher(withCheck);
  d.assigned('t', 0);
  const later = action('c', 3);
  later.evidence = { ...later.evidence, at: new Date(Date.now() + 5 * 60_000).toISOString() };
  d.enqueue([action('a', 1), action('b', 2), later]);
  await waitFor(() => d.queued === 0, 'all three done with');
  // a: sent by the previous owner, found, not sent again; b: looked for, not found, sent; c: observed after the takeover, sent without a look.
  expect(lookedFor.sort()).toEqual([action('a', 1).key, action('b', 2).key].sort());
  expect(opener.arrived.map((x) => x.component).sort()).toEqual(['b', 'c']);
  expect(d.stats.foundDelivered).toBe(1);
  expect([1, 2].every((n) => store.isSent(action(n === 1 ? 'a' : 'b', n).key)) && store.isSent(later.key)).toBe(true);
  d.stop();
  store.close();
});

test('without an assignment (actions of this process only) nothing is looked up before a first send', async () => {
  const opener = new ScriptedOpener(() => 'ok');
  let lookups = 0;
  const withCheck: IncidentOpener = Object.assign(opener, { delivered: async () => (lookups++, true) });
  const { d, store } = dispatcher(withCheck);
  d.enqueue([action('a', 1)]);
  await waitFor(() => d.queued === 0, 'done with');
  expect(lookups).toBe(0);
  expect(opener.arrived.map((x) => x.component)).toEqual(['a']);
  d.stop();
  store.close();
});

test('a full queue pauses consumption at the next message and nothing is dropped; delivery resumes it', async () => {
  let open = false;
  const waiting: (() => void)[] = [];
  const opener = new ScriptedOpener(() => 'ok');
  const gated: IncidentOpener = {
    open: async (input, evidence) => {
      if (!open) await new Promise<void>((r) => waiting.push(r));
      return opener.open(input, evidence);
    },
    evidence: async (p, c, evidence) => {
      if (!open) await new Promise<void>((r) => waiting.push(r));
      return opener.evidence(p, c, evidence);
    },
  };
  const maxQueued = 10;
  const local = localSentinel({ opener: gated, clock: () => CLOCK, config: { dispatch: { maxQueued, resumeBelow: 2, sendTimeoutMs: 60_000 } } });
  // Every record is a hard fault of another class than the one before on its component: one action each.
  const classes = ['CRASHED', 'OOMKilled', 'HUNG', 'EVICTED'];
  const records = Array.from({ length: 200 }, (_, i) =>
    JSON.parse(JSON.stringify({ kind: 'event', v: 1, ts: CLOCK - 100_000 + i * 10, pipeline: 'p', component: `c${i % 10}`, signal: 'process', event: classes[Math.floor(i / 10) % 4] })),
  );
  try {
    await local.sentinel.start();
    await local.log.append(local.topic, asMessages(records));
    await waitFor(() => local.sentinel.stats.backPressurePauses >= 1, 'consumption to pause');
    // Nothing is delivered while the gate is shut, so the queue holds what was taken: at most one message past the bound.
    expect(local.sentinel.dispatcher.queued).toBeLessThanOrEqual(maxQueued + 1);
    expect(local.sentinel.engine.counters.records).toBeLessThanOrEqual(maxQueued + 1);
    await waitFor(() => waiting.length >= Math.min(10, local.sentinel.dispatcher.settings.concurrency), 'the first sends to be in flight');
    expect(local.sentinel.engine.counters.records).toBeLessThanOrEqual(maxQueued + 1);

    open = true;
    for (const w of waiting.splice(0)) w();
    await waitFor(() => local.sentinel.engine.counters.records === records.length && local.sentinel.dispatcher.queued === 0, 'every record processed and every action delivered');
    expect(local.sentinel.dispatcher.stats.maxQueued).toBeLessThanOrEqual(maxQueued + 1);
    expect(opener.arrived).toHaveLength(records.length);
    // In the order they were taken, per component.
    for (let c = 0; c < 10; c++) {
      const offsets = opener.arrived.filter((x) => x.component === `c${c}`).map((x) => Number(x.id.split(':')[2]));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(offsets).toHaveLength(20);
    }
  } finally {
    open = true;
    for (const w of waiting.splice(0)) w();
    await local.close();
  }
});

test('an action Temporal refuses goes to the dead-letter topic with its reason and source offset', async () => {
  const opener = new ScriptedOpener(() => grpc(3, 'INVALID_ARGUMENT: blob size exceeds limit'));
  const local = localSentinel({ opener, clock: () => CLOCK });
  try {
    const crash = JSON.stringify({ kind: 'event', v: 1, ts: CLOCK - 1_000, pipeline: 'p', component: 'a', signal: 'process', event: 'CRASHED' });
    await local.sentinel.handleBatch(logBatch(local.topic, 0, 0, [JSON.stringify({ kind: 'metric', v: 1, ts: CLOCK - 2_000, pipeline: 'p', component: 'a', signal: 'x', value: 1 }), crash]));
    await waitFor(() => local.sentinel.dispatcher.queued === 0, 'the action done with');
    const [dead] = local.deadLetters();
    expect(dead).toMatchObject({ field: 'action', rule: 'undeliverable', source: { topic: local.topic, partition: 0, offset: 1 } });
    expect(dead.reason).toMatch(/^action: open for p\/a not delivered after 1 attempt: INVALID_ARGUMENT/);
    expect(JSON.parse(dead.value.toString())).toMatchObject({ kind: 'open', pipeline: 'p', component: 'a' });
    expect(local.sentinel.engine.partition(local.topic, 0).pending).toEqual([]);
  } finally {
    await local.close();
  }
});
