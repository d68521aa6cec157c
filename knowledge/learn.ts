/**
 * Glue for the learn activity: store the case with its explanation tuple, update the Q-table
 * along the attempts of the escalation ladder, record the shadow prediction, and promote or
 * demote the fault class — every change of mode goes to the audit log.
 */
import { ACTION_PRIORS, durationCost } from '../policies/case-based';
import { effectiveMode, findPipeline, repairLadder } from '../policies/lookup';
import type { OutcomeSampleInput } from '../policies/outcomes';
import { evaluatePromotion, type PromotionEvent } from '../policies/promotion';
import { indexQ, qState, qUpdate, rewardFor, storeQ, type QEntry } from '../policies/q-learning';
import type { PolicyConfig } from '../policies/schema';
import type { RepairAction } from '../policies/taxonomy';
import type { Explanation, Outcome } from '../workflows/shared';
import type { CaseAttempt, FaultSignature, KnowledgeBase } from './types';

export interface LearnArgs {
  incidentId: string;
  /** The incident run (`<incident id>@<first run id>`): its case is recorded once. */
  runKey?: string;
  signature: FaultSignature;
  mode: 'shadow' | 'active';
  /** The engine's first choice: what shadow mode would have done. */
  wouldDo: RepairAction | null;
  /**
   * In active mode, the policy's first choice (the first rung it planned): recorded like a
   * shadow prediction, so precision is tracked in both modes and an active class can be demoted.
   */
  firstChoice?: RepairAction | null;
  /**
   * The action finally verified or approved; null when the incident closed without one;
   * omitted to derive it (the first attempt that passed verification, else pending).
   */
  finalAction?: RepairAction | null;
  /** The rungs actually run, in order (none in shadow mode). */
  attempts: CaseAttempt[];
  outcome: Outcome;
  plan?: unknown;
  alternatives?: unknown;
  evidence: unknown;
  explanation: Explanation;
  ttdMs?: number;
  mttmMs?: number;
  mttrMs?: number;
  /** Repairs of this resource in the window before the incident: the Q-state's history bucket. */
  recentRepairs: number;
  /** What each attempt measurably did (one per attempt): stored for the learned estimates. */
  outcomes?: readonly OutcomeSampleInput[];
  now: number;
}

export interface LearnResult {
  caseId: number;
  /** Ids of the outcome samples stored. */
  outcomeIds: number[];
  qUpdates: QEntry[];
  promotion?: PromotionEvent;
}

/** C of an attempt: measured cost, else the cost of its measured duration (as E[C] reads it), else the prior. */
function attemptCost(a: CaseAttempt): number {
  return a.cost ?? (a.durationMs === undefined ? ACTION_PRIORS[a.action].cost : durationCost(a.durationMs));
}

export async function learnFromIncident(kb: KnowledgeBase, policy: PolicyConfig, args: LearnArgs): Promise<LearnResult> {
  const sig = args.signature;
  const pipeline = findPipeline(policy, sig.pipeline);
  const finalAttempt = args.attempts.at(-1);
  const stored = await kb.recordCase({
    incidentId: args.incidentId,
    ...(args.runKey ? { runKey: args.runKey } : {}),
    signature: sig,
    mode: args.mode,
    evidence: args.evidence,
    plan: args.plan ?? null,
    alternatives: args.alternatives ?? null,
    action: finalAttempt?.action ?? args.wouldDo ?? 'escalate',
    attempts: args.attempts,
    outcome: args.outcome,
    ...(args.ttdMs !== undefined ? { ttdMs: args.ttdMs } : {}),
    ...(args.mttmMs !== undefined ? { mttmMs: args.mttmMs } : {}),
    ...(args.mttrMs !== undefined ? { mttrMs: args.mttrMs } : {}),
    explanation: args.explanation,
  });

  // In the caller's transaction (the learn activity's): stored with the case or not at all.
  const outcomeIds = args.outcomes && args.outcomes.length > 0 ? (await kb.recordOutcomes(args.outcomes)).map((o) => o.id) : [];

  // Q-learning along the ladder: a failed rung leads to the state with one more recent repair.
  const qUpdates: QEntry[] = [];
  if (pipeline && args.attempts.length > 0) {
    const index = indexQ(await kb.qTable());
    const ladder = repairLadder(pipeline, sig.faultClass);
    for (let i = 0; i < args.attempts.length; i++) {
      const a = args.attempts[i] as CaseAttempt;
      const state = qState(sig.faultClass, sig.severity, args.recentRepairs + i);
      const last = i === args.attempts.length - 1;
      const tried = args.attempts.slice(0, i + 1).map((x) => x.action);
      const entry = qUpdate(
        index,
        {
          state,
          action: a.action,
          reward: rewardFor(a.verification, attemptCost(a), policy.global.engine.lambda, a.recovery),
          ...(last ? {} : { nextState: qState(sig.faultClass, sig.severity, args.recentRepairs + i + 1), nextActions: ladder.filter((x) => !tried.includes(x)) }),
        },
        policy.global.engine,
      );
      await kb.putQEntry(entry);
      qUpdates.push(entry);
      storeQ(index, entry);
    }
  }

  await kb.appendAudit({
    actor: 'homeostat',
    action: 'case-recorded',
    subject: args.incidentId,
    detail: { caseId: stored.id, outcome: args.outcome, action: stored.action, mode: args.mode },
  });

  const predicted = args.wouldDo ?? (args.mode === 'active' ? (args.firstChoice ?? null) : null);
  if (!pipeline || sig.faultClass === 'unknown' || predicted === null) return { caseId: stored.id, outcomeIds, qUpdates };

  // Precision, in both modes: compare what the engine chose first with what finally worked or was
  // approved. An active incident that ended with a human (escalated, rejected) had no automated
  // action that worked: null, which agrees only with a first choice of escalate.
  const verified = args.attempts.find((a) => a.verification === 'pass')?.action;
  const humanEnded = args.mode === 'active' && (args.outcome === 'escalated' || args.outcome === 'rejected');
  const finalAction = args.finalAction !== undefined ? args.finalAction : (verified ?? (humanEnded ? null : undefined));
  // Keyed by the incident run: the workflow id repeats for every incident of a component, and an
  // older unresolved record must not take the verdict of a later incident.
  const key = args.runKey ?? args.incidentId;
  await kb.recordShadow({ incidentId: key, pipeline: sig.pipeline, faultClass: sig.faultClass, wouldDo: predicted, at: args.now });
  if (finalAction !== undefined) await kb.resolveShadow(key, finalAction);

  const learned = await kb.getMode(sig.pipeline, sig.faultClass);
  const current = effectiveMode(pipeline, sig.faultClass, learned?.mode);
  const records = await kb.shadowRecords(sig.pipeline, sig.faultClass, pipeline.promotion.window * 2);
  const decision = evaluatePromotion({ pipeline, faultClass: sig.faultClass, current, records, now: args.now });
  if (!decision.event) return { caseId: stored.id, outcomeIds, qUpdates };
  const e = decision.event;
  await kb.setMode({ pipeline: e.pipeline, faultClass: e.faultClass, mode: e.to, reason: e.reason });
  await kb.appendAudit({ actor: 'homeostat', action: e.kind, subject: `${e.pipeline}/${e.faultClass}`, detail: { ...e } });
  return { caseId: stored.id, outcomeIds, qUpdates, promotion: e };
}
