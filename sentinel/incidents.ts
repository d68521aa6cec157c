/**
 * Incident actions leave the sentinel here: an `IncidentOpener` — Temporal in production, a
 * counting fake in unit tests — that the dispatcher (`dispatcher.ts`) drives.
 *
 * Opening is `signalWithStart` on `incident/<pipeline>/<component>` (conflict policy
 * USE_EXISTING): the first anomaly starts the workflow, and a duplicate open of a running
 * incident is just one more evidence signal — Temporal's workflow-id uniqueness is what makes
 * "one incident per component" hold across sentinels. Further evidence is a plain signal; if the
 * incident has already closed it is dropped (counted), rather than starting a new incident on
 * stale evidence — unless it is a hard fault or marked persistent (the anomaly outlived its
 * incident), which start a new one.
 *
 * A send that may have arrived already (the sentinel died between Temporal accepting it and the
 * ledger recording it, or gave up waiting for an answer) is never simply repeated: if that
 * incident closed meanwhile, `signalWithStart` would start a second run that repairs again. The
 * SDK's signal calls take no request id of ours (the client generates one per call), so the
 * check is made on Temporal's own record: `delivered` looks for the evidence id in the history of
 * every run of the incident that was live since the first attempt.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { evidenceSignal, incidentWorkflowId, INCIDENT_WORKFLOW_TYPE, TASK_QUEUE, type Evidence, type IncidentInput, type IncidentTiming } from '../workflows/shared';

export interface IncidentOpener {
  /** Starts the incident if needed and delivers `evidence` to it. */
  open(input: IncidentInput, evidence: Evidence): Promise<void>;
  /** Delivers evidence to a running incident; false when there is none. */
  evidence(pipeline: string, component: string, evidence: Evidence): Promise<boolean>;
  /**
   * Whether evidence with id `evidenceId` already reached a run of the component's incident that
   * was live at or after `since` (epoch ms). Openers that cannot tell leave it out; their sends
   * are then at-least-once.
   */
  delivered?(pipeline: string, component: string, evidenceId: string, since: number): Promise<boolean>;
}

export interface TemporalOpenerOptions {
  taskQueue?: string;
  /** Timing knobs passed to every incident the sentinel starts (tests and demos shorten them). */
  timing?: Partial<IncidentTiming>;
  /** Deadline of each call to Temporal. Default 15 s: without one a call can wait forever. */
  callTimeoutMs?: number;
}

export class TemporalIncidentOpener implements IncidentOpener {
  constructor(
    private readonly client: Client,
    private readonly options: TemporalOpenerOptions = {},
  ) {}

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return this.client.connection.withDeadline(Date.now() + (this.options.callTimeoutMs ?? 15_000), fn);
  }

  async open(input: IncidentInput, evidence: Evidence): Promise<void> {
    await this.call(() =>
      this.client.workflow.signalWithStart(INCIDENT_WORKFLOW_TYPE, {
        workflowId: incidentWorkflowId(input.pipeline, input.component),
        taskQueue: this.options.taskQueue ?? TASK_QUEUE,
        // A running incident absorbs the open as evidence; a closed one may be followed by a new incident.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        args: [{ ...input, ...(this.options.timing ? { timing: { ...this.options.timing, ...input.timing } } : {}) }],
        signal: evidenceSignal,
        signalArgs: [evidence],
      }),
    );
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
      await this.call(() => this.client.workflow.getHandle(incidentWorkflowId(pipeline, component)).signal(evidenceSignal, evidence));
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  async delivered(pipeline: string, component: string, evidenceId: string, since: number): Promise<boolean> {
    const workflowId = incidentWorkflowId(pipeline, component);
    const checked = new Set<string>();
    // The current run, and the runs it continued from that started since: read from the
    // workflow's own history, so nothing depends on the visibility store being up to date.
    let runId: string | undefined;
    try {
      runId = (await this.call(() => this.client.workflow.getHandle(workflowId).describe())).runId;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    while (runId !== undefined && !checked.has(runId)) {
      checked.add(runId);
      const run = await this.scan(workflowId, runId, evidenceId);
      if (run.found) return true;
      runId = run.startedAt >= since ? run.continuedFrom : undefined;
    }
    // Other runs that closed since (an incident that closed and was followed by another).
    const query = `WorkflowId = '${workflowId.replace(/'/g, "\\'")}' AND CloseTime >= '${new Date(since).toISOString()}'`;
    const others: string[] = [];
    await this.call(async () => {
      for await (const wf of this.client.workflow.list({ query })) if (!checked.has(wf.runId)) others.push(wf.runId);
    });
    for (const id of others) if ((await this.scan(workflowId, id, evidenceId)).found) return true;
    return false;
  }

  /** Whether one run's history holds an evidence signal with that id; also when it started and what it continued. */
  private async scan(workflowId: string, runId: string, evidenceId: string): Promise<{ found: boolean; startedAt: number; continuedFrom?: string }> {
    const history = await this.call(() => this.client.workflow.getHandle(workflowId, runId).fetchHistory());
    const events = history.events ?? [];
    const first = events[0];
    const started = first?.workflowExecutionStartedEventAttributes;
    const seconds = Number(first?.eventTime?.seconds ?? 0);
    const out = { found: false, startedAt: seconds * 1000, continuedFrom: started?.continuedExecutionRunId || undefined };
    for (const e of events) {
      const s = e.workflowExecutionSignaledEventAttributes;
      if (!s || s.signalName !== evidenceSignal.name) continue;
      const payload = s.input?.payloads?.[0];
      if (!payload) continue;
      try {
        if (defaultPayloadConverter.fromPayload<Evidence>(payload).id === evidenceId) return { ...out, found: true };
      } catch {
        // Not ours to read (another converter): it cannot be the evidence we sent.
      }
    }
    return out;
  }
}
