/**
 * What the incident workflow tests share on top of helpers.ts: a worker per test on a unique
 * task queue, starting an incident, collecting everything a closed incident leaves behind
 * (result, timeline, explanation query, memo, knowledge-base case), the explanation-completeness
 * assertion every closed incident must pass, and recording replay fixtures.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import type { CaseRecord } from '../../knowledge/types';
import type { RepairAction } from '../../policies/taxonomy';
import { createIncidentWorker } from '../../workers/worker';
import {
  explanationQuery,
  incidentWorkflowId,
  timelineQuery,
  type Explanation,
  type IncidentInput,
  type IncidentState,
  type TimelineEntry,
} from '../../workflows/shared';
import { actuatorLines } from '../fixtures/templates/file-actuator';
import { testTemporalAddress } from '../support/services';
import { connectDevServer, incidentBundle, uniqueName } from './helpers';
import { TEST_ACTIONS, type Lab } from './lab';

export const EXPLANATION_PARTS = ['trigger', 'evidence', 'cause', 'action', 'impact', 'verification'] as const;
/** What the recorder writes before a stage has anything to say; a closed incident must have moved past them. */
const PLACEHOLDERS = ['under diagnosis', 'none yet', 'not yet run'];
const isPlaceholder = (v: string): boolean => v === '' || PLACEHOLDERS.some((p) => v === p || v.startsWith(`${p};`));

/** Runs `fn` while a worker with the lab's activities polls a task queue of its own. */
export async function withWorker<T>(native: NativeConnection, lab: Lab, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueName('tq');
  const worker = await createIncidentWorker({ connection: native, taskQueue, activities: lab.activities, audit: lab.kb, workflowBundle: await incidentBundle() });
  return worker.runUntil(fn(taskQueue));
}

export function startIncident(client: Client, taskQueue: string, input: IncidentInput): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return client.workflow.start('incidentWorkflow', { taskQueue, workflowId: incidentWorkflowId(input.pipeline, input.component), args: [input] });
}

export interface ClosedIncident {
  id: string;
  result: IncidentState;
  timeline: TimelineEntry[];
  /** Answered by the explanation query. */
  explanation: Explanation;
  /** The memo's `explanation`, as the Web UI shows it without a query. */
  memoExplanation: Explanation;
  /** Cases the knowledge base recorded for this incident. */
  cases: CaseRecord[];
}

/**
 * Waits for the incident to close and gathers what it left behind. Call it while a worker runs:
 * queries on a closed workflow are answered by a worker replaying its history.
 */
export async function closeIncident(handle: WorkflowHandle, lab: Lab): Promise<ClosedIncident> {
  const result = (await handle.result()) as IncidentState;
  // One query at a time: the worker replays a closed workflow for each, and concurrent legacy
  // queries on an evicted run can be dropped ("leftover buffered tasks when evicting run").
  const timeline = await handle.query(timelineQuery);
  const explanation = await handle.query(explanationQuery);
  const description = await handle.describe();
  return {
    id: handle.workflowId,
    result,
    timeline,
    explanation,
    memoExplanation: (description.memo?.explanation ?? {}) as Explanation,
    cases: await lab.kb.casesForIncident(handle.workflowId),
  };
}

/**
 * Every closed incident explains itself completely and consistently: all six parts are filled in
 * the query, the memo and the knowledge-base case, and the three agree. "Filled" is stricter than
 * non-empty: a part still holding (or starting with) the recorder's opening placeholder — "none
 * yet", "not yet run", "under diagnosis" — says nothing about a closed incident.
 */
export function expectCompleteExplanation(closed: ClosedIncident): void {
  expect(closed.result.stage).toBe('closed');
  expect(closed.cases).toHaveLength(1);
  const sources: [string, Explanation][] = [
    ['explanation query', closed.explanation],
    ['memo', closed.memoExplanation],
    ['knowledge base', closed.cases[0]!.explanation],
  ];
  for (const [where, e] of sources) {
    for (const part of EXPLANATION_PARTS) {
      const value = typeof e[part] === 'string' ? e[part].trim() : '';
      // The message names the source and part when it fails.
      expect({ where, part, filled: !isPlaceholder(value), value }).toEqual({ where, part, filled: true, value });
    }
  }
  expect(closed.memoExplanation).toEqual(closed.explanation);
  expect(closed.cases[0]!.explanation).toEqual(closed.explanation);
  expect(closed.result.explanation).toEqual(closed.explanation);
}

/** Stage markers of the timeline, in order (`stage diagnose` → 'diagnose'). */
export function stagesOf(timeline: TimelineEntry[]): string[] {
  return timeline.filter((e) => e.event.startsWith('stage ')).map((e) => e.stage);
}

/** How many times each test actuator really applied its effect. */
export function applications(lab: Lab): Partial<Record<RepairAction, number>> {
  const out: Partial<Record<RepairAction, number>> = {};
  for (const a of TEST_ACTIONS) {
    const n = actuatorLines(lab.dir, a).length;
    if (n > 0) out[a] = n;
  }
  return out;
}

export async function eventTypes(handle: WorkflowHandle): Promise<temporal.api.enums.v1.EventType[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).map((e) => e.eventType ?? temporal.api.enums.v1.EventType.EVENT_TYPE_UNSPECIFIED);
}

export const HISTORIES_DIR = path.join(__dirname, '../fixtures/histories');

/**
 * With HOMEOSTAT_RECORD_HISTORIES=1, writes the closed incident's history (every run of its
 * continue-as-new chain) to test/fixtures/histories/<name>.json (<name>.run<N>.json for chains);
 * replay.test.ts replays them all against the current workflow code.
 */
/** The histories of a workflow's continue-as-new chain, first run first (walked back from the latest). */
export async function runHistories(client: Client, handle: WorkflowHandle): Promise<{ runId: string; history: temporal.api.history.v1.IHistory }[]> {
  const runs: { runId: string; history: temporal.api.history.v1.IHistory }[] = [];
  let runId: string | undefined = (await handle.describe()).runId;
  while (runId) {
    const history = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    runs.unshift({ runId, history });
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

export async function recordHistory(client: Client, handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.HOMEOSTAT_RECORD_HISTORIES !== '1') return;
  const runs = (await runHistories(client, handle)).map((r) => r.history);
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  runs.forEach((h, i) => {
    const file = runs.length === 1 ? `${name}.json` : `${name}.run${i + 1}.json`;
    fs.writeFileSync(path.join(HISTORIES_DIR, file), `${JSON.stringify(h, null, 1)}\n`);
  });
}

export type DevServerConnection = Awaited<ReturnType<typeof connectDevServer>>;

/**
 * The set-up every incident test file shares: one connection to the suite's dev server for the
 * whole file (`env.conn`, set before the first test), and labs handed to `env.track` closed
 * after the test that created them.
 */
export function useIncidentEnv(): { readonly conn: DevServerConnection; track(lab: Lab): Lab } {
  let conn: DevServerConnection | undefined;
  const labs: Lab[] = [];
  beforeAll(async () => {
    conn = await connectDevServer(testTemporalAddress());
  });
  afterEach(async () => {
    for (const l of labs.splice(0)) await l.close();
  });
  afterAll(async () => {
    await conn?.close();
  });
  return {
    get conn(): DevServerConnection {
      if (!conn) throw new Error('useIncidentEnv: the dev server connection is opened in beforeAll');
      return conn;
    },
    track(lab: Lab): Lab {
      labs.push(lab);
      return lab;
    },
  };
}
