/**
 * The policy engine (Plan). Among the allowed repairs whose preconditions hold, choose
 *   a* = argmin_a  E[C(a)] − λ E[R(a)]   subject to  SLO_lat(a) ≤ ℓ  and  SLO_loss(a) ≤ η
 * with E[C], E[R] from similar past cases (case-based.ts) blended with a tabular Q-learning
 * policy (q-learning.ts). Ties go to the lower-risk action (ACTION_RISK), then to the earlier rung.
 * ε-greedy exploration happens only in shadow mode and drills, with an injected seeded RNG.
 * Deterministic given its inputs; the safety layer still has the last word on the result.
 * Pure: safe to import from workflow code.
 */
import { ACTION_PRIORS, estimateFromCases, type CaseEstimate, type PastCase } from './case-based';
import { repairLadder } from './lookup';
import { describeOutcomes, estimateOutcomes, type OutcomeEstimate, type OutcomeSample } from './outcomes';
import { indexQ, lookupQ, qState, type QEntry } from './q-learning';
import type { EngineSettings, PipelinePolicy } from './schema';
import { ACTION_RISK, layerOf, type FaultClass, type Layer, type Mode, type RepairAction, type Severity, type UNKNOWN_FAULT } from './taxonomy';

export interface Precondition {
  holds: boolean;
  reason?: string;
}

export interface PlanRequest {
  incidentId: string;
  /** Which attempt of the incident this plan is for (1 = first); part of the plan id. */
  attempt?: number;
  pipeline: PipelinePolicy;
  engine: EngineSettings;
  component: string;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  severity: Severity;
  layer?: Layer;
  /** Evaluated preconditions per action; an action missing here has none. */
  preconditions?: Partial<Record<RepairAction, Precondition>>;
  cases: readonly PastCase[];
  /**
   * Measured outcomes of past attempts (policies/outcomes.ts): where they measured a figure, its
   * shrunk estimate replaces the case-based one for E[C], E[R], SLO_lat and SLO_loss.
   */
  outcomes?: readonly OutcomeSample[];
  qTable: readonly QEntry[];
  /** Repairs of this resource in the recent past: the Q-state's history bucket. */
  recentRepairs: number;
  /** Rungs already tried in this incident. */
  exclude?: readonly RepairAction[];
  mode: Mode;
  drill?: boolean;
  /** Uniform [0, 1) source for exploration; without it the engine never explores. */
  rng?: () => number;
  /**
   * The only actions exploration may pick (the ones the safety layer allows right now, without
   * an approval); omitted: any feasible automated repair. The greedy choice is not bound by it:
   * safety judges that one afterwards as always.
   */
  explorable?: readonly RepairAction[];
}

export interface CandidateScore extends CaseEstimate {
  rung: number;
  feasible: boolean;
  /** Why it is or is not feasible. */
  reasons: string[];
  /** E[C] − λ E[R] from cases alone. */
  cbrScore: number;
  qValue?: number;
  qVisits: number;
  /** Weight given to −Q in the final score, in [0, MAX_Q_WEIGHT]. */
  qWeight: number;
  /** Final score: lower is better. */
  score: number;
  /** The learned estimates from measured outcomes, with the cases they used. */
  learned: OutcomeEstimate;
  /** The cases used and their figures, or "prior only (no cases)", as the explanation says it. */
  learnedFrom: string;
}

export interface Plan {
  planId: string;
  action: RepairAction;
  target: string;
  state: string;
  score: number;
  explored: boolean;
  /** Every rung of the ladder with its scores, in ladder order. */
  candidates: CandidateScore[];
  /** Feasible rungs to try if verification fails, in ladder order; a human (escalate) last. */
  alternatives: { action: RepairAction; score: number; reason?: string }[];
  reasons: string[];
}

/** Q never outweighs the case-based estimate entirely. */
export const MAX_Q_WEIGHT = 0.5;
/** Visits at which Q gets half its maximum weight. */
export const Q_HALF_WEIGHT_VISITS = 5;
/** Each rung down the ladder costs a little: the policy's order is the human's preference. */
export const RUNG_PENALTY = 0.05;
/** Below this estimated success rate an automated repair is not worth trying before a human. */
export const MIN_AUTOMATED_SUCCESS = 0.25;
/** Past cases needed before a low success rate may put a human ahead of every automated repair. */
export const MIN_CASES_TO_GIVE_UP = 3;
const EPS = 1e-9;

const fmt = (x: number) => (Math.round(x * 1000) / 1000).toString();

function scoreCandidates(req: PlanRequest, state: string): CandidateScore[] {
  const ladder = repairLadder(req.pipeline, req.faultClass);
  const qIndex = indexQ(req.qTable);
  const slo = req.pipeline.slo;
  const signature = { component: req.component, faultClass: req.faultClass, severity: req.severity, ...(req.layer ? { layer: req.layer } : {}) };
  return ladder.map((action, rung) => {
    const prior = ACTION_PRIORS[action];
    const cbr = estimateFromCases(action, signature, req.cases, prior);
    // Outcomes are pooled per fault signature as learn stores them: the class and its layer.
    const layer = layerOf(req.faultClass);
    const learned = estimateOutcomes(action, { faultClass: req.faultClass, ...(layer ? { layer } : {}) }, req.outcomes ?? [], prior);
    const learnedFrom = describeOutcomes(learned);
    const est: CaseEstimate = {
      ...cbr,
      ...(learned.cost.n > 0 ? { expectedCost: learned.cost.value } : {}),
      ...(learned.recovery.n > 0 ? { expectedRecovery: learned.recovery.value } : {}),
      ...(learned.latencyMs.n > 0 ? { expectedLatencyMs: learned.latencyMs.value } : {}),
      ...(learned.loss.n > 0 ? { expectedLoss: learned.loss.value } : {}),
    };
    const cbrScore = est.expectedCost + RUNG_PENALTY * rung - req.engine.lambda * est.expectedRecovery;
    const q = lookupQ(qIndex, state, action);
    const qVisits = q?.visits ?? 0;
    const qWeight = (MAX_Q_WEIGHT * qVisits) / (qVisits + Q_HALF_WEIGHT_VISITS);
    const score = (1 - qWeight) * cbrScore + qWeight * -(q?.value ?? 0);
    const reasons: string[] = [];
    const pre = req.preconditions?.[action];
    // Escalation needs nothing and breaks no SLO: it is always a feasible last resort.
    if (action !== 'escalate') {
      if (req.exclude?.includes(action)) reasons.push('already tried in this incident');
      if (pre && !pre.holds) reasons.push(`precondition failed${pre.reason ? `: ${pre.reason}` : ''}`);
      const sloBroken = reasons.length;
      if (est.expectedLatencyMs > slo.latencyMs) reasons.push(`SLO_lat ${Math.round(est.expectedLatencyMs)}ms > ℓ ${slo.latencyMs}ms`);
      if (est.expectedLoss > slo.maxLoss + EPS) reasons.push(`SLO_loss ${fmt(est.expectedLoss)} > η ${slo.maxLoss}`);
      if (reasons.length > sloBroken) reasons.push(`estimates: ${learnedFrom}`);
    }
    const feasible = reasons.length === 0;
    if (feasible) {
      reasons.push(
        `E[C]=${fmt(est.expectedCost)} E[R]=${fmt(est.expectedRecovery)} (p=${fmt(est.successRate)} from ${est.cases} case(s))${q ? ` Q=${fmt(q.value)}×${qVisits}` : ''}; ${learnedFrom}`,
      );
    }
    return { ...est, rung, feasible, reasons, cbrScore, ...(q ? { qValue: q.value } : {}), qVisits, qWeight, score, learned, learnedFrom };
  });
}

/** Lower score, then lower risk, then earlier rung. */
export function better(a: Pick<CandidateScore, 'action' | 'score' | 'rung'>, b: Pick<CandidateScore, 'action' | 'score' | 'rung'>): number {
  if (Math.abs(a.score - b.score) > EPS) return a.score - b.score;
  return ACTION_RISK[a.action] - ACTION_RISK[b.action] || a.rung - b.rung;
}

/** The reason given when the chosen candidate tied with the runner-up and won on risk or rung. */
export function tieReason(chosen: Pick<CandidateScore, 'action' | 'score'>, runnerUp: Pick<CandidateScore, 'action' | 'score'> | undefined): string | undefined {
  if (!runnerUp || Math.abs(runnerUp.score - chosen.score) > EPS) return undefined;
  return `tie with ${runnerUp.action} broken by lower risk (${ACTION_RISK[chosen.action]} vs ${ACTION_RISK[runnerUp.action]}) or ladder order`;
}

export function planRepair(req: PlanRequest): Plan {
  const state = qState(req.faultClass, req.severity, req.recentRepairs);
  const candidates = scoreCandidates(req, state);
  const feasible = candidates.filter((c) => c.feasible);
  const automated = feasible.filter((c) => c.action !== 'escalate');
  // A human is the last rung, not a competitor on cost: escalation is chosen when no automated
  // repair is feasible, or when the best one is known from past cases (not merely from its
  // prior) to fail too often to be worth trying first.
  const bestAutomated = [...automated].sort(better)[0];
  const escalation = feasible.find((c) => c.action === 'escalate') as CandidateScore; // always feasible
  const ranked = bestAutomated && !(bestAutomated.cases >= MIN_CASES_TO_GIVE_UP && bestAutomated.successRate < MIN_AUTOMATED_SUCCESS) ? [...automated].sort(better).concat(escalation) : [escalation, ...[...automated].sort(better)];
  let chosen = ranked[0] as CandidateScore;
  const reasons: string[] = [];
  let explored = false;

  // Exploration: only where nothing real depends on the choice (shadow mode records it, a drill
  // injected the fault), and only among the actions safety would let run.
  const pool = req.explorable ? automated.filter((c) => req.explorable!.includes(c.action)) : automated;
  const mayExplore = (req.mode === 'shadow' || req.drill === true) && req.rng !== undefined && automated.length > 1 && pool.length > 0;
  if (mayExplore && (req.rng as () => number)() < req.engine.epsilon) {
    const pick = pool[Math.min(pool.length - 1, Math.floor((req.rng as () => number)() * pool.length))] as CandidateScore;
    if (pick.action !== chosen.action) {
      explored = true;
      chosen = pick;
      reasons.push(`exploring (ε=${req.engine.epsilon}, ${req.drill ? 'drill' : 'shadow mode'}): ${pick.action} instead of ${(ranked[0] as CandidateScore).action}`);
    }
  }
  if (!explored) {
    if (automated.length === 0) reasons.push(`no automated repair is feasible for ${req.faultClass}: escalate to a human`);
    else if (chosen.action === 'escalate') reasons.push(`the best automated repair, ${(bestAutomated as CandidateScore).action}, succeeded with p=${fmt((bestAutomated as CandidateScore).successRate)} < ${MIN_AUTOMATED_SUCCESS} over ${(bestAutomated as CandidateScore).cases} past case(s): escalate to a human`);
    else reasons.push(`${chosen.action} minimises E[C] − λE[R] (λ=${req.engine.lambda}) with score ${fmt(chosen.score)} among ${feasible.length} feasible candidate(s)`);
    const tie = tieReason(chosen, ranked[1]);
    if (tie) reasons.push(tie);
  }
  reasons.push(`estimates of ${chosen.learnedFrom}`);
  for (const c of candidates.filter((x) => !x.feasible)) reasons.push(`${c.action} excluded: ${c.reasons.join('; ')}`);

  const alternatives = candidates
    .filter((c) => c.feasible && c.action !== chosen.action && c.action !== 'escalate')
    .map((c) => ({ action: c.action, score: c.score, reason: c.reasons[0] as string }));
  if (chosen.action !== 'escalate') {
    const esc = candidates.find((c) => c.action === 'escalate') as CandidateScore;
    alternatives.push({ action: 'escalate', score: esc.score, reason: 'last rung: a human decides' });
  }
  return {
    planId: `${req.incidentId}#${req.attempt ?? 1}:${chosen.action}`,
    action: chosen.action,
    target: req.component,
    state,
    score: chosen.score,
    explored,
    candidates,
    alternatives,
    reasons,
  };
}
