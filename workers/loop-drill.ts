/**
 * A fault drill through the whole closed loop: each step injects one or more faults into the live
 * pipeline, finds the incident the sentinel opened for each, follows it stage by stage until it
 * closes, and records when it was detected, which repair ran, when it healed and whether the
 * repair verified. The demo and the end-to-end tests both run it; only the script differs.
 *
 * Between steps the drill behaves like the people around the pipeline: faults that outlive their
 * repair (a source that keeps sending nulls, a slow dependency) are lifted once the incident has
 * closed — the upstream team fixed it — and the next fault waits until the pipeline is warm again
 * (checkpoints and labelled examples for the repairs that need them) and the sentinel sees every
 * watched component healthy, so one step's aftermath is never mistaken for the next step's fault.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { clearFaults, faultContextOf, injectFault, type FaultInput } from '../simulator/faults';
import { COMPONENTS } from '../simulator/config';
import type { PipelineHandle } from '../simulator/pipeline';
import { waitForRepairPreconditions } from '../simulator/readiness';
import type { SinkIntegrity } from '../simulator/sink-store';
import { bearerFetch } from '../common/bearer-auth';
import { signFor, type Signer } from '../common/decision-keys';
import { approveUpdate, incidentWorkflowId, stateQuery, type Approval, type IncidentState } from '../workflows/shared';
import { markReopened, REOPEN_WINDOW_MS, reopenWindowLeft } from './reopen-check';

/**
 * Faults that keep hurting after their repair mitigated them — a source that keeps sending nulls
 * or poison, a slow dependency — and are lifted once the incident closes, as the team owning the
 * cause would fix it. Schema drift is not lifted (the repair absorbs it: a pin or a field
 * mapping), nor are a shifted population or a changed concept (retraining adapts the model to
 * them and the sentinel's trailing references make them the new normal); reverting any of those
 * afterwards would be a second fault of its own.
 */
const LIFTED_AFTER_INCIDENT: ReadonlySet<string> = new Set(['slow-down', 'null-spike', 'poison-records']);

/**
 * How long the pipeline must have run before a fault of this kind can be seen: the sentinel
 * learns what normal is first — null rates, histograms and a stage's lag growth (in seconds of
 * its throughput) against the trailing ~40 s, a model's error rate from its first 400 labelled
 * predictions (≈ 5 s at 100 events/s; 20 s leaves room for a slow start). Injected earlier, the
 * fault would be learned as normal. The drill waits this long after `startedAt` before injecting it.
 */
export const HISTORY_NEEDED_MS: Readonly<Record<string, number>> = {
  'null-spike': 45_000,
  'slow-down': 45_000,
  'distribution-shift': 45_000,
  'accuracy-drop': 20_000,
  'concept-drift': 20_000,
};

export interface ScriptedFault {
  label: string;
  spec: FaultInput;
  /** Components where the sentinel is expected to open the incident, most likely first. */
  watch: string[];
}

export interface FaultOutcome {
  fault: string;
  label: string;
  target: string;
  injectedAt: string;
  detectedAt: string | null;
  incidentId: string | null;
  /** The repair that ran last (the one that verified, when the incident healed). */
  action: string | null;
  /** Every plan made, in order (the escalation ladder as it was climbed). */
  actions: string[];
  /** What diagnosis called it. */
  faultClass: string | null;
  /** The explanation's verification part at the end (which probes passed or failed, and why). */
  verification: string | null;
  healedAt: string | null;
  /** Healed and did not reopen within the reopen window (reopen-check.ts). */
  verified: boolean;
  /** When a new incident on the same component opened within the reopen window of the heal. */
  reopenedAt?: string;
  /** What opened that incident (its trigger and first evidence), when it reopened. */
  reopenedBy?: string;
  outcome: string | null;
  approvedBy: string | null;
}

export interface DrillOptions {
  client: Client;
  pipeline: PipelineHandle;
  steps: ScriptedFault[][];
  /** The sentinel's health API; between steps the drill waits until its fused health is calm on every component. */
  healthUrl?: string;
  /** Bearer token of that API, when it needs one. */
  healthToken?: string;
  /** How long one step's incidents may take to close (default 180 s). */
  stepTimeoutMs?: number;
  /** Plans that need a human are approved, signed by this key (an on-call engineer at the keyboard); unset: nobody approves. */
  approveAs?: Signer;
  /** When the pipeline and sentinel started (default: when the drill starts). */
  startedAt?: number;
  /**
   * Least time between the end of one step and the next injection. Drills that repeat one repair
   * on one component (three schema drifts in a row) leave the policy's cooldown room to pass,
   * as real faults would; otherwise the safety layer rightly refuses the repeat.
   */
  stepGapMs?: number;
  /** A heal followed by a new incident on the component within this long is a failure (default 60 s). */
  reopenWindowMs?: number;
  say: (line: string) => void;
}

export interface DrillResult {
  faults: FaultOutcome[];
  sink: SinkIntegrity;
}

interface Watch {
  fault: ScriptedFault;
  outcome: FaultOutcome;
  injectedId: string;
  /** Run id of the incident matched to this fault. */
  runId?: string;
}

/**
 * The incident of a fault just injected on one of the watched components: a run started after
 * the injection, or one still running from before (the fault's evidence went to it), not yet
 * matched to another fault.
 */
async function findIncident(client: Client, pipeline: string, components: string[], since: number, claimed: Set<string>): Promise<{ id: string; runId: string; startedAt: Date } | undefined> {
  for (const component of components) {
    const id = incidentWorkflowId(pipeline, component);
    try {
      const d = await client.workflow.getHandle(id).describe();
      const fresh = d.startTime.getTime() >= since - 1_000 || d.status.name === 'RUNNING';
      if (fresh && !claimed.has(d.runId)) return { id, runId: d.runId, startedAt: d.startTime.getTime() >= since ? d.startTime : new Date() };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return undefined;
}

/**
 * Whether `component` is calm: no incident of it running, and the sentinel's fused health below
 * its close threshold. (The sentinel's own "open" also holds for a while after a crash, to keep a
 * crash's aftermath out of new incidents; a drill need not wait that out — a new hard fault opens
 * a new incident regardless.)
 */
async function calm(opts: DrillOptions, component: string): Promise<boolean> {
  const pipeline = opts.pipeline.config.pipeline;
  try {
    const d = await opts.client.workflow.getHandle(incidentWorkflowId(pipeline, component)).describe();
    if (d.status.name === 'RUNNING') return false;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) return false;
  }
  if (!opts.healthUrl) return true;
  try {
    const res = await bearerFetch(opts.healthToken)(`${opts.healthUrl}/health/${encodeURIComponent(pipeline)}/${encodeURIComponent(component)}`);
    if (res.status === 404) return true; // never seen: nothing open
    if (!res.ok) return false;
    const view = (await res.json()) as { fusionOpen?: boolean };
    return view.fusionOpen === false;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForCalm(opts: DrillOptions, components: string[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const calmNow = await Promise.all(components.map((c) => calm(opts, c)));
    if (calmNow.every(Boolean)) return true;
    await sleep(500);
  }
  return false;
}

export async function runLoopDrill(opts: DrillOptions): Promise<DrillResult> {
  const { pipeline, say } = opts;
  const name = pipeline.config.pipeline;
  const ctx = faultContextOf(pipeline);
  const claimed = new Set<string>();
  const all: FaultOutcome[] = [];
  const everyComponent = [...COMPONENTS];

  const startedAt = opts.startedAt ?? Date.now();
  let lastStepEnded = 0;
  for (const step of opts.steps) {
    const gapLeft = lastStepEnded + (opts.stepGapMs ?? 0) - Date.now();
    if (gapLeft > 0) await sleep(gapLeft);
    await waitForRepairPreconditions(pipeline);
    const notBefore = startedAt + Math.max(0, ...step.map((f) => HISTORY_NEEDED_MS[f.spec.fault] ?? 0));
    if (Date.now() < notBefore) {
      say(`  (letting the sentinel learn normal behaviour for ${Math.ceil((notBefore - Date.now()) / 1000)} s more)`);
      await sleep(notBefore - Date.now());
    }
    if (!(await waitForCalm(opts, everyComponent, 150_000))) say('  (an incident is still running or the sentinel still sees an anomaly; injecting anyway)');
    const watches: Watch[] = [];
    for (const f of step) {
      const injected = await injectFault(ctx, f.spec);
      say(`⚡ injected ${f.label} (${injected.detail})`);
      watches.push({
        fault: f,
        injectedId: injected.id,
        outcome: {
          fault: injected.fault,
          label: f.label,
          target: injected.target,
          injectedAt: injected.injectedAt,
          detectedAt: null,
          incidentId: null,
          action: null,
          actions: [],
          faultClass: null,
          verification: null,
          healedAt: null,
          verified: false,
          outcome: null,
          approvedBy: null,
        },
      });
    }
    const deadline = Date.now() + (opts.stepTimeoutMs ?? 180_000);
    const lastLine = new Map<string, string>();
    while (Date.now() < deadline && watches.some((w) => w.outcome.outcome === null)) {
      for (const w of watches) if (w.outcome.outcome === null) await follow(opts, w, claimed, name, lastLine);
      await sleep(500);
    }
    for (const w of watches) {
      if (w.outcome.outcome === null) say(`  ✗ ${w.fault.label}: not closed within the step's time limit`);
      // The upstream cause is fixed once the incident is over (healed or handed to a human).
      if (LIFTED_AFTER_INCIDENT.has(w.outcome.fault)) clearFaults(ctx, { id: w.injectedId });
      all.push(w.outcome);
    }
    lastStepEnded = Date.now();
  }

  // A heal that does not hold is no heal: wait out the last reopen window, then check every one.
  const windowMs = opts.reopenWindowMs ?? REOPEN_WINDOW_MS;
  const left = reopenWindowLeft(all, Date.now(), windowMs);
  if (left > 0) {
    say(`  (watching ${Math.ceil(left / 1000)} s more for incidents that reopen after their heal)`);
    await sleep(left);
  }
  await markReopened(opts.client, all, claimed, windowMs);
  for (const f of all) if (f.reopenedAt) say(`  ✗ ${f.label}: ${f.incidentId} reopened ${((Date.parse(f.reopenedAt) - Date.parse(f.healedAt!)) / 1000).toFixed(1)} s after its heal, opened by ${f.reopenedBy ?? 'unknown'}`);

  say('quiescing the pipeline to check the sink…');
  return { faults: all, sink: await pipeline.quiesce() };
}

/** One polling round for one fault: match its incident, print stage changes, approve if asked, note the end. */
async function follow(opts: DrillOptions, w: Watch, claimed: Set<string>, pipelineName: string, lastLine: Map<string, string>): Promise<void> {
  const { client, say } = opts;
  if (!w.runId) {
    const found = await findIncident(client, pipelineName, w.fault.watch, Date.parse(w.outcome.injectedAt), claimed);
    if (!found) return;
    claimed.add(found.runId);
    w.runId = found.runId;
    w.outcome.incidentId = found.id;
    w.outcome.detectedAt ??= found.startedAt.toISOString();
  }
  const handle = client.workflow.getHandle(w.outcome.incidentId!, w.runId);
  const desc = await handle.describe();
  let state: IncidentState | undefined;
  if (desc.status.name === 'COMPLETED') state = (await handle.result()) as IncidentState;
  else if (desc.status.name === 'RUNNING') state = await handle.query(stateQuery).catch(() => undefined);
  else if (desc.status.name === 'CONTINUED_AS_NEW') {
    // Follow the new run of the same incident.
    const latest = await client.workflow.getHandle(w.outcome.incidentId!).describe();
    w.runId = latest.runId;
    return;
  } else {
    w.outcome.outcome = desc.status.name.toLowerCase();
    return;
  }
  if (!state) return;
  const id = w.outcome.incidentId!;
  const line = `  ${id}  ${state.stage.padEnd(8)} ${state.plan ? state.plan.action : ''}${state.awaitingApproval ? '  (awaiting approval)' : ''}`;
  if (lastLine.get(id) !== line) {
    lastLine.set(id, line);
    say(line);
  }
  if (state.plan && w.outcome.actions[w.outcome.actions.length - 1] !== state.plan.action) w.outcome.actions.push(state.plan.action);
  w.outcome.faultClass = state.faultClass;
  w.outcome.action = state.plan?.action ?? null;
  if (state.awaitingApproval && opts.approveAs && state.plan) {
    const signer = opts.approveAs;
    say(`  ${signer.identity} approves ${state.plan.action} on ${state.plan.target} (plan ${state.plan.planId})`);
    const planId = state.plan.planId;
    await signFor(handle, signer, { decision: 'approve', planId, reason: 'fault drill: approved at the keyboard' })
      .then((args) => handle.executeUpdate(approveUpdate, { args: [args as Approval] }))
      .then(() => (w.outcome.approvedBy = signer.identity))
      .catch((err: unknown) => say(`  approval refused: ${err instanceof Error ? err.message : String(err)}`));
  }
  if (state.stage === 'closed' && state.outcome === 'handed-over') {
    // The root cause was upstream: the repair belongs to the incident it was handed to — follow
    // that one (another watched component's incident, running or just started).
    say(`  ${id} handed over: ${state.explanation.action}`);
    w.runId = undefined;
    w.outcome.incidentId = null;
    return;
  }
  if (state.stage === 'closed') {
    w.outcome.verification = state.explanation.verification;
    w.outcome.outcome = state.outcome;
    w.outcome.verified = state.outcome === 'healed';
    w.outcome.healedAt = desc.closeTime?.toISOString() ?? new Date().toISOString();
  }
}
