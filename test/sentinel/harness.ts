/** Shared helpers of the sentinel integration tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Evidence, IncidentInput } from '../../workflows/shared';
import type { IncidentOpener } from '../../sentinel/incidents';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import type { AppendMessage } from '../../bindings/log';
import { testTemporalAddress } from '../support/services';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hs-${prefix}-`));
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Records every call; the unit-level stand-in for Temporal. */
export class CountingOpener implements IncidentOpener {
  readonly opens: { input: IncidentInput; evidence: Evidence }[] = [];
  readonly evidences: { pipeline: string; component: string; evidence: Evidence }[] = [];
  async open(input: IncidentInput, evidence: Evidence): Promise<void> {
    this.opens.push({ input, evidence });
  }
  async evidence(pipeline: string, component: string, evidence: Evidence): Promise<boolean> {
    this.evidences.push({ pipeline, component, evidence });
    return true;
  }
}

export async function temporalClient(): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: testTemporalAddress() });
  return { client: new Client({ connection, namespace: 'default' }), connection };
}

/** Executions (runs) of a workflow id and the signals each run received, read from real history. */
export async function incidentRuns(client: Client, workflowId: string): Promise<{ runId: string; signals: number }[]> {
  const runs: { runId: string; signals: number }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    runs.push({ runId: wf.runId, signals });
  }
  return runs;
}

export function asMessages(records: (TelemetryRecord | string)[]): AppendMessage[] {
  return records.map((r) => (typeof r === 'string' ? { key: 'junk', value: r } : { key: r.pipeline, value: JSON.stringify(r) }));
}
