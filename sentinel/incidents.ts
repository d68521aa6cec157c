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
 * dropped (counted), rather than starting a new incident on stale evidence.
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
 * Sends actions one at a time in the order they were taken (an open must precede its evidence).
 * `onSent` lets the owner drop the action from its partition's pending list.
 */
export class Dispatcher {
  private queue: IncidentAction[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;
  readonly stats: DispatchStats = { opened: 0, evidence: 0, evidenceDropped: 0, failures: 0, skippedAlreadySent: 0 };

  constructor(
    private readonly opener: IncidentOpener,
    private readonly ledger: DispatchLedger,
    private readonly onSent: (action: IncidentAction) => void,
    private readonly onError: (err: unknown, action: IncidentAction) => void = () => undefined,
  ) {}

  enqueue(actions: readonly IncidentAction[]): void {
    if (actions.length === 0) return;
    this.queue.push(...actions);
    if (!this.running) this.running = this.drain().finally(() => (this.running = null));
  }

  /** Forgets queued actions of a partition that moved to another sentinel (it will send them). */
  forget(topic: string, partition: number): void {
    this.queue = this.queue.filter((a) => a.source.topic !== topic || a.source.partition !== partition);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves when the queue is empty (or `timeoutMs` passed). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length > 0 || this.running) && Date.now() < deadline) {
      await Promise.race([this.running ?? Promise.resolve(), new Promise((r) => setTimeout(r, 50))]);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    let backoff = 100;
    while (this.queue.length > 0 && !this.stopped) {
      const a = this.queue[0];
      if (this.ledger.isSent(a.key)) {
        this.stats.skippedAlreadySent++;
        this.queue.shift();
        this.onSent(a);
        continue;
      }
      try {
        if (a.kind === 'open' && a.input) {
          await this.opener.open(a.input, a.evidence);
          this.stats.opened++;
        } else if (await this.opener.evidence(a.pipeline, a.component, a.evidence)) this.stats.evidence++;
        else this.stats.evidenceDropped++;
        this.ledger.markSent(a.key, a.source.topic, a.source.partition, a.source.offset);
        if (this.queue[0] === a) this.queue.shift();
        this.onSent(a);
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
}
