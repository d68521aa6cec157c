/**
 * The dispatcher: sends queued incident actions through an `IncidentOpener`, in the order they
 * were taken *per component* (an open must precede its evidence), records every action sent in
 * the ledger so a replay after a restart does not send it again, and never lets one component
 * hold up another.
 *
 * - Fair and unblockable: at most `concurrency` components are in flight; each turn sends one
 *   action and moves the component to the back of the line; every call has a deadline; a
 *   component whose send failed waits out its backoff *without* holding a slot.
 * - Errors are classified (`send-errors.ts`): transient ones are retried with exponential backoff
 *   and jitter for as long as they last; unknown ones `maxUncertainAttempts` times; permanent ones
 *   are handed to `onUndeliverable` (the sentinel dead-letters them with the reason) at once.
 * - Idempotent across crashes: before its first send an action is recorded as attempted; an
 *   attempted action that is not recorded as sent is first looked for in the incident's history
 *   (`IncidentOpener.delivered`) and only sent when it is not there.
 * - Bounded: `enqueue` never drops; the owner asks `wouldBeFull` and stops consuming (back-pressure)
 *   until `onCapacity` says the queue is back below `resumeBelow`.
 */
import type { IncidentAction } from './component';
import type { DispatchSettings } from './config-limits';
import { faultPoint } from './fault-points';
import type { IncidentOpener } from './incidents';
import { classifySendError, SendTimeoutError } from './send-errors';

export interface DispatchLedger {
  isSent(key: string): boolean;
  markSent(key: string, topic: string, partition: number, offset: number): void;
  attemptedAt(key: string): number | undefined;
  markAttempt(key: string, topic: string, partition: number, offset: number): void;
}

export interface DispatchStats {
  opened: number;
  evidence: number;
  evidenceDropped: number;
  /** Failed sends (each retry that failed counts). */
  failures: number;
  /** Actions handed to `onUndeliverable`. */
  deadLettered: number;
  /** Of those: evidence beyond `maxPerComponent` of a component that could not take it. */
  shed: number;
  skippedAlreadySent: number;
  /** Attempted actions found in the incident's history, so not sent again. */
  foundDelivered: number;
  /** Most actions queued at once. */
  maxQueued: number;
}

export interface DispatcherHooks {
  /** The action is done with (sent, found delivered, or dead-lettered): drop it from pending. */
  onSent(action: IncidentAction): void;
  /** Dead-letter an action that cannot be delivered; must be durable when it resolves. */
  onUndeliverable(action: IncidentAction, reason: string): Promise<void>;
  onError?(err: unknown, action: IncidentAction, retryInMs: number): void;
  /** The queue is at or below `resumeBelow` (called after each action done with). */
  onCapacity?(): void;
}

/** Clock skew allowed between this host and Temporal when looking for an earlier attempt. */
const ATTEMPT_SLACK_MS = 60_000;

interface Entry {
  action: IncidentAction;
  attempts: number;
  /** Set once the action is known undeliverable: the next turn only dead-letters it. */
  deadLetter?: string;
}

interface ComponentQueue {
  items: Entry[];
  /** Wall time before which this component is not tried again (backoff). */
  readyAt: number;
  backoffMs: number;
  timer?: NodeJS.Timeout;
}

export class Dispatcher {
  private readonly queues = new Map<string, ComponentQueue>();
  private readonly active = new Set<string>();
  /** When this process was given each partition (`topic[partition]`), by the wall clock. */
  private readonly assignedAt = new Map<string, number>();
  private count = 0;
  private stopped = false;
  readonly stats: DispatchStats = { opened: 0, evidence: 0, evidenceDropped: 0, failures: 0, deadLettered: 0, shed: 0, skippedAlreadySent: 0, foundDelivered: 0, maxQueued: 0 };
  readonly resumeBelow: number;

  constructor(
    private readonly opener: IncidentOpener,
    private readonly ledger: DispatchLedger,
    private readonly hooks: DispatcherHooks,
    readonly settings: DispatchSettings,
  ) {
    this.resumeBelow = settings.resumeBelow ?? Math.floor(settings.maxQueued / 2);
  }

  enqueue(actions: readonly IncidentAction[]): void {
    for (const action of actions) {
      const k = `${action.pipeline}/${action.component}`;
      let q = this.queues.get(k);
      if (!q) {
        q = { items: [], readyAt: 0, backoffMs: this.settings.backoffInitialMs };
        this.queues.set(k, q);
      }
      this.count++;
      if (q.items.length >= this.settings.maxPerComponent && action.kind === 'evidence') {
        void this.shed(action, `evidence for ${k} dead-lettered: ${q.items.length} actions of this component already wait (dispatch.maxPerComponent)`);
        continue;
      }
      q.items.push({ action, attempts: 0 });
    }
    if (this.count > this.stats.maxQueued) this.stats.maxQueued = this.count;
    this.pump();
  }

  get queued(): number {
    return this.count;
  }

  /** At or above `maxQueued` once `more` actions are added: the owner should stop taking new ones. */
  wouldBeFull(more = 0): boolean {
    return this.count + more >= this.settings.maxQueued;
  }

  /** Forgets queued actions of a partition that moved to another sentinel (it will send them). */
  /**
   * This process now owns the partition. Until then another sentinel of the group may have read
   * it, sent actions and died before its offsets were saved; those records come back here, and
   * this host's ledger knows nothing of them (see `previousOwnerSince`).
   */
  assigned(topic: string, partition: number): void {
    this.assignedAt.set(`${topic}[${partition}]`, Date.now());
  }

  /**
   * For an action this host never attempted: when its record was observed before this process
   * owned the partition (within the clock skew allowed), the earliest time its incident could
   * have received it from the previous owner; otherwise undefined (nobody else can have sent it).
   * Without this, a record replayed after a takeover re-opens an incident that already closed.
   */
  private previousOwnerSince(a: IncidentAction): number | undefined {
    const assignedAt = this.assignedAt.get(`${a.source.topic}[${a.source.partition}]`);
    if (assignedAt === undefined) return undefined;
    const observed = Date.parse(a.evidence.at);
    if (Number.isFinite(observed) && observed >= assignedAt + ATTEMPT_SLACK_MS) return undefined;
    return (Number.isFinite(observed) ? Math.min(observed, assignedAt) : assignedAt) - ATTEMPT_SLACK_MS;
  }

  forget(topic: string, partition: number): void {
    this.assignedAt.delete(`${topic}[${partition}]`);
    for (const [k, q] of this.queues) {
      // The head of an active queue may be in flight; leave it, it finishes or fails on its own.
      const keep = q.items.filter((e, i) => (this.active.has(k) && i === 0) || e.action.source.topic !== topic || e.action.source.partition !== partition);
      this.count -= q.items.length - keep.length;
      q.items = keep;
      if (keep.length === 0 && !this.active.has(k)) this.drop(k, q);
    }
    this.hooks.onCapacity?.();
  }

  /** Resolves when the queue is empty (or `timeoutMs` passed). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count > 0 && !this.stopped && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  stop(): void {
    this.stopped = true;
    for (const q of this.queues.values()) if (q.timer) clearTimeout(q.timer);
  }

  private drop(k: string, q: ComponentQueue): void {
    if (q.timer) clearTimeout(q.timer);
    this.queues.delete(k);
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const [k, q] of this.queues) {
      if (this.active.size >= this.settings.concurrency) return;
      if (this.active.has(k) || q.items.length === 0 || q.readyAt > now) continue;
      this.active.add(k);
      void this.turn(k, q).finally(() => {
        this.active.delete(k);
        // To the back of the line: the next turn goes to a component that has waited longer.
        if (this.queues.get(k) === q) {
          this.queues.delete(k);
          if (q.items.length > 0) this.queues.set(k, q);
          else if (q.timer) clearTimeout(q.timer);
        }
        this.pump();
      });
    }
  }

  /** One action of one component: sent, found delivered, dead-lettered, or scheduled for a retry. */
  private async turn(k: string, q: ComponentQueue): Promise<void> {
    const e = q.items[0];
    if (!e) return;
    const a = e.action;
    try {
      if (e.deadLetter !== undefined) return await this.deadLetter(q, e, e.deadLetter);
      if (this.ledger.isSent(a.key)) {
        this.stats.skippedAlreadySent++;
        return this.done(q, e);
      }
      const attemptedAt = this.ledger.attemptedAt(a.key);
      // Not attempted here, but perhaps by the partition's previous owner: look before sending.
      const since = attemptedAt === undefined ? this.previousOwnerSince(a) : attemptedAt - ATTEMPT_SLACK_MS;
      if (attemptedAt === undefined) this.ledger.markAttempt(a.key, a.source.topic, a.source.partition, a.source.offset);
      if (since !== undefined && this.opener.delivered && (await this.bounded(this.opener.delivered(a.pipeline, a.component, a.evidence.id ?? a.key, since)))) {
        this.stats.foundDelivered++;
        this.ledger.markSent(a.key, a.source.topic, a.source.partition, a.source.offset);
        return this.done(q, e);
      }
      await this.send(a);
      faultPoint('after-send-before-ledger');
      this.ledger.markSent(a.key, a.source.topic, a.source.partition, a.source.offset);
      q.backoffMs = this.settings.backoffInitialMs;
      this.done(q, e);
    } catch (err) {
      this.stats.failures++;
      e.attempts++;
      const c = classifySendError(err);
      if (c.class === 'permanent' || (c.class === 'uncertain' && e.attempts >= this.settings.maxUncertainAttempts)) {
        e.deadLetter = `${a.kind} for ${k} not delivered after ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}: ${c.reason}`;
        return await this.deadLetter(q, e, e.deadLetter).catch((dlqErr: unknown) => this.retryLater(q, e, dlqErr));
      }
      this.retryLater(q, e, err);
    }
  }

  private async send(a: IncidentAction): Promise<void> {
    if (a.kind === 'open' && a.input) {
      await this.bounded(this.opener.open(a.input, a.evidence));
      this.stats.opened++;
    } else if (await this.bounded(this.opener.evidence(a.pipeline, a.component, a.evidence))) this.stats.evidence++;
    else this.stats.evidenceDropped++;
  }

  private async deadLetter(q: ComponentQueue, e: Entry, reason: string): Promise<void> {
    await this.hooks.onUndeliverable(e.action, reason);
    this.ledger.markSent(e.action.key, e.action.source.topic, e.action.source.partition, e.action.source.offset);
    this.stats.deadLettered++;
    this.done(q, e);
  }

  /** Dead-letters an action without queueing it; counted as queued until that is durable (retried every second). */
  private async shed(action: IncidentAction, reason: string): Promise<void> {
    for (;;) {
      try {
        await this.hooks.onUndeliverable(action, reason);
        break;
      } catch {
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, 1_000).unref());
      }
    }
    this.ledger.markSent(action.key, action.source.topic, action.source.partition, action.source.offset);
    this.stats.deadLettered++;
    this.stats.shed++;
    this.count--;
    this.hooks.onSent(action);
    if (this.count <= this.resumeBelow) this.hooks.onCapacity?.();
  }

  /** Backoff without holding a slot: a timer puts the component back in line. */
  private retryLater(q: ComponentQueue, e: Entry, err: unknown): void {
    const wait = Math.round(q.backoffMs * (0.75 + Math.random() * 0.5));
    q.backoffMs = Math.min(q.backoffMs * 2, this.settings.backoffMaxMs);
    q.readyAt = Date.now() + wait;
    this.hooks.onError?.(err, e.action, wait);
    if (q.timer) clearTimeout(q.timer);
    q.timer = setTimeout(() => {
      q.timer = undefined;
      // The wait is over when the timer fires: timers run on the loop's cached clock, which can lag
      // Date.now(), so comparing with `readyAt` here could skip the component and leave it waiting for ever.
      q.readyAt = 0;
      this.pump();
    }, wait);
    q.timer.unref();
  }

  /** A call the dispatcher waits for at most `sendTimeoutMs`, whatever the opener does. */
  private bounded<T>(p: Promise<T>): Promise<T> {
    const ms = this.settings.sendTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendTimeoutError(ms)), ms);
    });
    // An abandoned call that fails later must not surface as an unhandled rejection.
    p.catch(() => undefined);
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private done(q: ComponentQueue, e: Entry): void {
    if (q.items[0] === e) {
      q.items.shift();
      this.count--;
    }
    q.readyAt = 0;
    this.hooks.onSent(e.action);
    if (this.count <= this.resumeBelow) this.hooks.onCapacity?.();
  }
}
