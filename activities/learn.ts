/**
 * Learn: hand the closed incident to the knowledge base (case with its explanation tuple and
 * TTD / MTTM / MTTR, Q-table updates along the ladder, shadow record, promotion or demotion),
 * then close it in the audit log — all in one transaction, once per incident run.
 */
import { learnFromIncident } from '../knowledge/learn';
import { findPipeline } from '../policies/lookup';
import { recoveryOf, type OutcomeSampleInput } from '../policies/outcomes';
import { resourceOf } from '../policies/safety';
import { layerOf, UNKNOWN_FAULT, type FaultClass, type Verdict } from '../policies/taxonomy';
import type { LearnInput } from './contracts';
import type { IncidentDeps } from './deps';
import type { KnowledgeBase } from '../knowledge/types';
import { measureOutcomes, parseTelemetryReadings, type TelemetryReading } from './outcome-measure';

const span = (from?: string, to?: string): number | undefined => (from && to ? Math.max(0, Date.parse(to) - Date.parse(from)) : undefined);

/** The key learning is done once under: one incident run. */
export function learnKey(input: Pick<LearnInput, 'incidentId' | 'runId'>): string | undefined {
  return input.runId ? `${input.incidentId}@${input.runId}` : undefined;
}

/**
 * Idempotent and transactional: the case, the Q-table updates, the shadow record, a promotion
 * and the audit rows land together or not at all, and a retry of a run already learnt from
 * changes nothing.
 */
export async function learn(deps: IncidentDeps, input: LearnInput): Promise<void> {
  const runKey = learnKey(input);
  // Read before the transaction: a telemetry source must not hold the knowledge base's write lock.
  const telemetry = await readTelemetry(deps, input);
  await deps.kb.transaction(async (tx) => {
    if (runKey && (await tx.caseForRun(runKey))) return;
    await learnInTransaction(deps, tx, input, runKey, telemetry);
  });
}

/** How far before the anomaly learn reads the component's telemetry. */
const BASELINE_MS = 30_000;

/**
 * The component's telemetry over the incident, when the worker has a reader. Best effort: an
 * unreadable source or malformed readings leave the SLO figures unmeasured, they never stop
 * the incident from being learnt.
 */
async function readTelemetry(deps: IncidentDeps, input: LearnInput): Promise<TelemetryReading[]> {
  if (!deps.outcomeTelemetry) return [];
  // From a little before the anomaly: the levels in force when the first repair began need the
  // readings before it (a crashed stage reports no latency until it runs again).
  const from = Math.min(Date.parse(input.timings.firstAnomalyAt), Date.parse(input.timings.openedAt)) - BASELINE_MS;
  // Up to now, not only the close: the health just after the last verification is read too.
  const to = Math.max(Date.parse(input.timings.closedAt), (deps.now ?? (() => new Date()))().getTime());
  const where = `${input.pipeline}/${input.component}`;
  try {
    const readings = parseTelemetryReadings(await deps.outcomeTelemetry({ pipeline: input.pipeline, component: input.component, from, to }));
    if (!readings) process.stderr.write(`[homeostat] learn ${input.incidentId}: outcome telemetry of ${where} malformed; its SLO figures stay unmeasured\n`);
    return readings ?? [];
  } catch (err) {
    process.stderr.write(`[homeostat] learn ${input.incidentId}: outcome telemetry of ${where} unreadable (${(err as Error).message}); its SLO figures stay unmeasured\n`);
    return [];
  }
}

/** One outcome sample per verified attempt, measured from the actuator log, evidence and telemetry. */
async function outcomeSamples(deps: IncidentDeps, kb: KnowledgeBase, input: LearnInput, telemetry: readonly TelemetryReading[]): Promise<OutcomeSampleInput[]> {
  const pipeline = findPipeline(deps.policy(), input.pipeline);
  const attempts = input.attempts.filter((a) => a.verify !== 'skipped');
  if (!pipeline || input.mode !== 'active' || attempts.length === 0) return [];
  const fault = input.faultClass as FaultClass | typeof UNKNOWN_FAULT;
  const layer = fault === UNKNOWN_FAULT ? undefined : layerOf(fault);
  return measureOutcomes({
    incidentId: input.incidentId,
    ...(input.runId ? { runId: input.runId } : {}),
    pipeline: input.pipeline,
    component: input.component,
    faultClass: fault,
    ...(layer ? { layer } : {}),
    attempts: attempts.map((a) => ({ action: a.action, verdict: a.verify as Verdict, ...(a.verifyMs !== undefined ? { verifyMs: a.verifyMs } : {}) })),
    actuations: await kb.listActuations({ incidentId: input.incidentId }),
    evidence: input.evidence,
    telemetry,
    slo: pipeline.slo,
    openedAt: Date.parse(input.timings.openedAt),
    closedAt: Date.parse(input.timings.closedAt),
  });
}

async function learnInTransaction(deps: IncidentDeps, kb: KnowledgeBase, input: LearnInput, runKey: string | undefined, telemetry: readonly TelemetryReading[]): Promise<void> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  const fault = input.faultClass as FaultClass | typeof UNKNOWN_FAULT;
  const layer = fault === UNKNOWN_FAULT ? undefined : layerOf(fault);
  const t = input.timings;
  const ttdMs = span(t.firstAnomalyAt, t.detectedAt);
  const mttmMs = span(t.detectedAt, t.mitigatedAt);
  const mttrMs = input.outcome === 'healed' ? span(t.firstAnomalyAt, t.closedAt) : undefined;
  const resource = resourceOf(input.pipeline, input.component);
  const recentRepairs = (await kb.recentActions({ since: Date.parse(t.openedAt) - 60 * 60 * 1000, resource })).filter(
    (a) => a.incidentId !== input.incidentId,
  ).length;
  // Approved in shadow mode: the human's approval is the verdict on the would-do action.
  const approvedShadow = input.mode === 'shadow' && input.outcome === 'shadowed' && input.approvedBy !== undefined;
  const outcomes = await outcomeSamples(deps, kb, input, telemetry);

  const result = await learnFromIncident(kb, deps.policy(), {
    incidentId: input.incidentId,
    ...(runKey ? { runKey } : {}),
    signature: { pipeline: input.pipeline, component: input.component, faultClass: fault, severity: input.severity, ...(layer ? { layer } : {}) },
    mode: input.mode,
    wouldDo: input.wouldDo,
    // Active mode: the first rung planned is the policy's first choice, tracked for precision too.
    ...(input.mode === 'active' ? { firstChoice: input.attempts[0]?.action ?? input.plan?.action ?? null } : {}),
    ...(approvedShadow ? { finalAction: input.wouldDo } : {}),
    attempts: input.attempts
      .filter((a) => a.verify !== 'skipped')
      .map((a, i) => ({
        action: a.action,
        verification: a.verify as Verdict,
        // The same measurements as the outcome samples: the Q-reward's cost and recovery.
        ...measuredOf(outcomes[i]),
        ...(a.verifyMs !== undefined ? { verifyMs: a.verifyMs } : {}),
        ...(a.probeRounds !== undefined ? { probeRounds: a.probeRounds } : {}),
        ...(a.flaps !== undefined ? { flaps: a.flaps } : {}),
      })),
    outcome: input.outcome,
    plan: input.plan ?? null,
    alternatives: input.plan?.alternatives ?? [],
    evidence: input.evidence,
    explanation: input.explanation,
    ...(ttdMs !== undefined ? { ttdMs } : {}),
    ...(mttmMs !== undefined ? { mttmMs } : {}),
    ...(mttrMs !== undefined ? { mttrMs } : {}),
    recentRepairs,
    outcomes,
    now,
  });
  await kb.appendAudit({
    actor: deps.actor ?? 'homeostat-worker',
    action: 'incident.closed',
    subject: input.incidentId,
    detail: {
      caseId: result.caseId,
      outcome: input.outcome,
      mode: input.mode,
      action: input.action,
      wouldDo: input.wouldDo,
    // Active mode: the first rung planned is the policy's first choice, tracked for precision too.
    ...(input.mode === 'active' ? { firstChoice: input.attempts[0]?.action ?? input.plan?.action ?? null } : {}),
      ttdMs: ttdMs ?? null,
      mttmMs: mttmMs ?? null,
      mttrMs: mttrMs ?? null,
      explanation: input.explanation,
    },
  });
}

/** Duration and recovery of one attempt's sample, as the case's attempt record (and the Q-reward) carry them. */
function measuredOf(s: OutcomeSampleInput | undefined): { durationMs?: number; recovery?: number } {
  if (!s) return {};
  return {
    ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
    recovery: recoveryOf(s),
  };
}
