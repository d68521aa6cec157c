/**
 * The demo's scripted drill: one fault per layer (infrastructure, data, model), then two at
 * once, each injected into the live pipeline and healed by the loop. For every fault it measures
 * when it was detected (the incident opened), which repair ran, when it healed and whether
 * verification passed; at the end it checks the sink: every event exactly once.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { faultContextOf, injectFault, type FaultInput } from '../simulator/faults';
import type { PipelineHandle } from '../simulator/pipeline';
import { incidentWorkflowId, stateQuery, type IncidentState } from '../workflows/shared';

export interface ScriptedFault {
  label: string;
  spec: FaultInput;
  /** Components where the sentinel is expected to see this fault, most likely first. */
  watch: string[];
}

export const DEMO_SCRIPT: ScriptedFault[][] = [
  [{ label: 'infrastructure: enrich crashes', spec: { fault: 'crash', target: 'enrich' }, watch: ['enrich'] }],
  [{ label: 'data: null spike at the source', spec: { fault: 'null-spike', target: 'source' }, watch: ['enrich', 'source'] }],
  [{ label: 'model: a bad model is promoted', spec: { fault: 'accuracy-drop', target: 'score' }, watch: ['score'] }],
  [
    { label: 'infrastructure: score crashes', spec: { fault: 'crash', target: 'score' }, watch: ['score'] },
    { label: 'data: poison records at the source', spec: { fault: 'poison-records', target: 'source' }, watch: ['enrich', 'source'] },
  ],
];

export interface FaultOutcome {
  fault: string;
  label: string;
  target: string;
  injectedAt: string;
  detectedAt: string | null;
  incidentId: string | null;
  action: string | null;
  healedAt: string | null;
  verified: boolean;
  outcome: string | null;
}

export interface SinkSummary {
  expected: number;
  stored: number;
  lost: number;
  duplicates: number;
}

interface Watch {
  fault: ScriptedFault;
  outcome: FaultOutcome;
  /** Run id of the incident matched to this fault. */
  runId?: string;
}

/** An incident run that started after `since` on one of the watched components. */
async function findIncident(client: Client, pipeline: string, components: string[], since: number, claimed: Set<string>): Promise<{ id: string; runId: string; startedAt: Date } | undefined> {
  for (const component of components) {
    const id = incidentWorkflowId(pipeline, component);
    try {
      const d = await client.workflow.getHandle(id).describe();
      if (d.startTime.getTime() >= since - 1_000 && !claimed.has(d.runId)) return { id, runId: d.runId, startedAt: d.startTime };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return undefined;
}

export async function runDemoScript(opts: {
  client: Client;
  pipeline: PipelineHandle;
  script?: ScriptedFault[][];
  /** How long to wait for one step's incidents to close. */
  stepTimeoutMs?: number;
  say: (line: string) => void;
}): Promise<{ faults: FaultOutcome[]; sink: SinkSummary }> {
  const { client, pipeline, say } = opts;
  const name = pipeline.config.pipeline;
  const ctx = faultContextOf(pipeline);
  const claimed = new Set<string>();
  const all: FaultOutcome[] = [];

  for (const step of opts.script ?? DEMO_SCRIPT) {
    const watches: Watch[] = [];
    for (const f of step) {
      const injected = await injectFault(ctx, f.spec);
      say(`⚡ injected ${f.label} (${injected.detail})`);
      watches.push({
        fault: f,
        outcome: {
          fault: injected.fault,
          label: f.label,
          target: injected.target,
          injectedAt: injected.injectedAt,
          detectedAt: null,
          incidentId: null,
          action: null,
          healedAt: null,
          verified: false,
          outcome: null,
        },
      });
    }
    const deadline = Date.now() + (opts.stepTimeoutMs ?? 180_000);
    const lastLine = new Map<string, string>();
    while (Date.now() < deadline && watches.some((w) => w.outcome.outcome === null)) {
      for (const w of watches) {
        if (w.outcome.outcome !== null) continue;
        if (!w.runId) {
          const found = await findIncident(client, name, w.fault.watch, Date.parse(w.outcome.injectedAt), claimed);
          if (!found) continue;
          claimed.add(found.runId);
          w.runId = found.runId;
          w.outcome.incidentId = found.id;
          w.outcome.detectedAt = found.startedAt.toISOString();
        }
        const handle = client.workflow.getHandle(w.outcome.incidentId!, w.runId);
        const desc = await handle.describe();
        let state: IncidentState | undefined;
        if (desc.status.name === 'COMPLETED') state = (await handle.result()) as IncidentState;
        else if (desc.status.name === 'RUNNING') state = await handle.query(stateQuery).catch(() => undefined);
        else {
          w.outcome.outcome = desc.status.name.toLowerCase();
          continue;
        }
        if (!state) continue;
        const line = `  ${w.outcome.incidentId}  ${state.stage.padEnd(8)} ${state.plan ? state.plan.action : ''}${state.awaitingApproval ? '  (awaiting approval)' : ''}`;
        if (lastLine.get(w.outcome.incidentId!) !== line) {
          lastLine.set(w.outcome.incidentId!, line);
          say(line);
        }
        w.outcome.action = state.plan?.action ?? null;
        if (state.stage === 'closed') {
          w.outcome.outcome = state.outcome;
          w.outcome.verified = state.outcome === 'healed';
          w.outcome.healedAt = desc.closeTime?.toISOString() ?? new Date().toISOString();
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const w of watches) {
      if (w.outcome.outcome === null) say(`  ✗ ${w.fault.label}: not healed within the step's time limit`);
      all.push(w.outcome);
    }
  }

  say('quiescing the pipeline to check the sink…');
  const integrity = await pipeline.quiesce();
  return {
    faults: all,
    sink: { expected: integrity.expected, stored: integrity.stored, lost: integrity.lost, duplicates: integrity.duplicates },
  };
}

export function formatSummary(faults: FaultOutcome[], sink: SinkSummary): string {
  const secs = (from: string, to: string | null): string => (to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s` : '—');
  const rows = faults.map((f) => [f.label, secs(f.injectedAt, f.detectedAt), f.action ?? '—', secs(f.injectedAt, f.healedAt), f.verified ? 'yes' : `no (${f.outcome ?? 'open'})`]);
  const head = ['fault', 'detected after', 'repaired by', 'healed after', 'verified'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `sink integrity: expected ${sink.expected}, stored ${sink.stored}, lost ${sink.lost}, duplicates ${sink.duplicates}`,
  ].join('\n');
}
