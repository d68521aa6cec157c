/**
 * Incident actions leave the sentinel here: an `IncidentOpener` (Temporal in production; a
 * counting fake in unit tests) and the `Dispatcher` that sends queued actions in order, retries
 * failures, and records every sent action in the state file's ledger so that a replay after a
 * restart does not send it again.
 *
 * Opening is `signalWithStart` on `incident/<pipeline>/<component>`: the first anomaly starts
 * the workflow, and a duplicate open of a running incident is just one more evidence signal —
 * Temporal's workflow-id uniqueness is what makes "one incident per component" hold across
 * sentinels. Further evidence is a plain signal; if the incident has already closed it is
 * dropped (counted), rather than starting a new incident on stale evidence — unless it is a hard
 * fault or marked persistent (the anomaly outlived its incident), which start a new one.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { evidenceSignal, incidentWorkflowId, INCIDENT_WORKFLOW_TYPE, TASK_QUEUE, type Evidence, type IncidentInput, type IncidentTiming } from '../workflows/shared';
import type { IncidentAction } from './component';

export interface IncidentOpener {
  /** Starts the incident if needed and delivers `evidence` to it. */
  open(input: IncidentInput, evidence: Evidence): Promise<void>;
  /** Delivers evidence to a running incident; false when there is none. */
  evidence(pipeline: string, component: string, evidence: Evidence): Promise<boolean>;
}

export interface TemporalOpenerOptions {
  taskQueue?: string;
  /** Timing knobs passed to every incident the sentinel starts (tests and demos shorten them). */
  timing?: Partial<IncidentTiming>;
}

export class TemporalIncidentOpener implements IncidentOpener {
  constructor(
    private readonly client: Client,
    private readonly options: TemporalOpenerOptions = {},
  ) {}

  async open(input: IncidentInput, evidence: Evidence): Promise<void> {
    await this.client.workflow.signalWithStart(INCIDENT_WORKFLOW_TYPE, {
      workflowId: incidentWorkflowId(input.pipeline, input.component),
      taskQueue: this.options.taskQueue ?? TASK_QUEUE,
      args: [{ ...input, ...(this.options.timing ? { timing: { ...this.options.timing, ...input.timing } } : {}) }],
      signal: evidenceSignal,
      signalArgs: [evidence],
    });
  }

  async evidence(pipeline: string, component: string, evidence: Evidence): Promise<boolean> {
    if (evidence.hardFault || evidence.persistent) {
      // A crash, or an anomaly that outlived its incident, after the last incident closed is a
      // new incident, not a note on a closed one; to a running incident it is one more signal.
      await this.open(
        {
          pipeline,
          component,
          trigger: evidence.hardFault ? { kind: 'hard-fault', detail: evidence.summary, at: evidence.at } : { kind: 'health', detail: `anomaly persisted: ${evidence.summary}`, at: evidence.at },
          evidence: [evidence],
          ...(evidence.faultHint ? { faultClass: evidence.faultHint } : {}),
        },
        evidence,
      );
      return true;
    }
    try {
      await this.client.workflow.getHandle(incidentWorkflowId(pipeline, component)).signal(evidenceSignal, evidence);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
}

export interface DispatchLedger {
  isSent(key: string): boolean;
  markSent(key: string, topic: string, partition: number, offset: number): void;
}

export interface DispatchStats {
  opened: number;
  evidence: number;
  evidenceDropped: number;
  failures: number;
  skippedAlreadySent: number;
}

/**
 * Sends actions in the order they were taken *per component* (an open must precede its
 * evidence), with up to `concurrency` components in flight at once, so one busy incident's
 * evidence never delays another component's opening. `onSent` lets the owner drop the action
 * from its partition's pending list.
 */
export class Dispatcher {
  private readonly queues = new Map<string, IncidentAction[]>();
  private readonly active = new Set<string>();
  private count = 0;
  private stopped = false;
  readonly stats: DispatchStats = { opened: 0, evidence: 0, evidenceDropped: 0, failures: 0, skippedAlreadySent: 0 };

  constructor(
    private readonly opener: IncidentOpener,
    private readonly ledger: DispatchLedger,
    private readonly onSent: (action: IncidentAction) => void,
    private readonly onError: (err: unknown, action: IncidentAction) => void = () => undefined,
    private readonly concurrency = 16,
  ) {}

  enqueue(actions: readonly IncidentAction[]): void {
    for (const a of actions) {
      const k = `${a.pipeline}/${a.component}`;
      let q = this.queues.get(k);
      if (!q) {
        q = [];
        this.queues.set(k, q);
      }
      q.push(a);
      this.count++;
    }
    this.pump();
  }

  /** Forgets queued actions of a partition that moved to another sentinel (it will send them). */
  forget(topic: string, partition: number): void {
    for (const [k, q] of this.queues) {
      // The head of an active queue may be in flight; leave it, it finishes or fails on its own.
      const keep = q.filter((a, i) => (this.active.has(k) && i === 0) || a.source.topic !== topic || a.source.partition !== partition);
      this.count -= q.length - keep.length;
      if (keep.length === 0) this.queues.delete(k);
      else this.queues.set(k, keep);
    }
  }

  get queued(): number {
    return this.count;
  }

  /** Resolves when the queue is empty (or `timeoutMs` passed). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count > 0 && !this.stopped && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  stop(): void {
    this.stopped = true;
  }

  private pump(): void {
    for (const k of this.queues.keys()) {
      if (this.active.size >= this.concurrency || this.stopped) return;
      if (this.active.has(k)) continue;
      this.active.add(k);
      void this.drain(k).finally(() => {
        this.active.delete(k);
        this.pump();
      });
    }
  }

  private async drain(k: string): Promise<void> {
    let backoff = 100;
    for (;;) {
      const q = this.queues.get(k);
      if (!q || q.length === 0 || this.stopped) {
        if (q && q.length === 0) this.queues.delete(k);
        return;
      }
      const a = q[0];
      if (this.ledger.isSent(a.key)) {
        this.stats.skippedAlreadySent++;
        this.done(k, a);
        continue;
      }
      try {
        if (a.kind === 'open' && a.input) {
          await this.opener.open(a.input, a.evidence);
          this.stats.opened++;
        } else if (await this.opener.evidence(a.pipeline, a.component, a.evidence)) this.stats.evidence++;
        else this.stats.evidenceDropped++;
        this.ledger.markSent(a.key, a.source.topic, a.source.partition, a.source.offset);
        this.done(k, a);
        backoff = 100;
      } catch (err) {
        // Temporal unreachable: keep the order, retry with backoff; the action stays pending in snapshots.
        this.stats.failures++;
        this.onError(err, a);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  private done(k: string, a: IncidentAction): void {
    const q = this.queues.get(k);
    if (q && q[0] === a) {
      q.shift();
      this.count--;
    }
    this.onSent(a);
  }
}
