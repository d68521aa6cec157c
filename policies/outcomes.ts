/**
 * Learned estimates from measured outcomes. Each closed incident leaves one outcome sample per
 * attempted action (knowledge base `outcome_samples`): its measured duration, the health index
 * before / during / after it, the SLO time it lost and its verdict. For one fault signature
 * (fault class + layer) and one action, every figure the engine needs is the prior shrunk toward
 * the measured mean:
 *
 *   estimate = (k · prior + Σ x_i) / (k + n)
 *
 * with n the samples that measured that figure and k = OUTCOME_PSEUDO_COUNT pseudo-samples at the
 * prior: with no case the estimate is the prior, with n = k cases prior and data weigh alike, and
 * the data dominate from there on. Each figure counts only the samples that measured it (a sample
 * without a health reading after the repair says nothing about recovery).
 *
 *   E[C(a)]     from the duration: c = durationCost(duration ms), the same cost the case-based
 *               estimate and the Q-reward use, in [0, 1]
 *   E[R(a)]     from the share of the lost health the repair won back,
 *               (health after − health before) / (1 − health before), clamped to [0, 1], when the
 *               health index showed the fault (it was at least MIN_DEGRADATION below 1 before);
 *               otherwise from the verdict (pass 1, inconclusive 0.5, fail 0), as the Q-reward
 *               does: a crash or a schema change is an event, not a fall of the fused health, and
 *               a ΔH of 0 there would say a repair that worked recovered nothing.
 *               prior: P(success) × recovery when it works
 *   SLO_lat(a)  from how far end-to-end latency rose while the action ran and was verified,
 *               over its level when the action began (ms) — what the repair added, as the
 *               priors mean it (a restart's downtime), not the fault's own damage
 *   SLO_loss(a) the same for the fraction of records lost, in [0, 1]
 *
 * The estimate names the samples it used and their figures, so the plan's explanation can say
 * which cases moved it. Pure: safe to import from workflow code.
 */
import { durationCost, type ActionPrior } from './case-based';
import type { FaultClass, Layer, RepairAction, UNKNOWN_FAULT, Verdict } from './taxonomy';

/** Pseudo-samples behind each prior: two, as the case-based success rate's Laplace-like prior. */
export const OUTCOME_PSEUDO_COUNT = 2;

/** The fault signature outcomes are pooled by: the same class on the same layer. */
export interface OutcomeSignature {
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  layer?: Layer;
}

/** What learn measured about one attempted action; figures it could not measure are absent. */
export interface OutcomeSampleInput {
  incidentId: string;
  /** The incident run (first run id of its execution chain), when known. */
  runId?: string;
  pipeline: string;
  component: string;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  layer?: Layer;
  action: RepairAction;
  /** Ladder attempt of the incident, 1 = first rung tried. */
  attempt: number;
  /** From the start of the repair to its end (the execute actuation's record and completion). */
  durationMs?: number;
  /** Health index (1 − H, 1 = healthy) last seen before the repair started. */
  healthBefore?: number;
  /** Lowest health index seen while the repair ran. */
  healthDuring?: number;
  /** Health index last seen after the repair, up to the verdict of its verification. */
  healthAfter?: number;
  /** Time the end-to-end latency was over ℓ while the repair ran and was verified (ms). */
  sloLatencyMs?: number;
  /** Time quality was under θ (ms). */
  sloQualityMs?: number;
  /** Time the fraction of records lost was over η (ms). */
  sloLossMs?: number;
  /**
   * How far end-to-end latency rose above its level when the repair began (ms, ≥ 0): an
   * observation of SLO_lat(a). Measured as a rise, not as the peak, because the fault itself
   * may already hold latency over ℓ; a peak would charge the fault's damage to every repair of
   * it, and learning would exclude them all.
   */
  latencyAddedMs?: number;
  /** How far the fraction of records lost rose above its level when the repair began: SLO_loss(a). */
  lossAdded?: number;
  verdict: Verdict;
  /** When the attempt ended (epoch ms). */
  at: number;
}

export interface OutcomeSample extends OutcomeSampleInput {
  id: number;
}

export type OutcomeFigure = 'cost' | 'recovery' | 'latencyMs' | 'loss';

/** One figure's estimate: the prior, the measured values and the shrunk result. */
export interface FigureEstimate {
  prior: number;
  /** Samples that measured this figure. */
  n: number;
  value: number;
}

/** A sample the estimate used, with the figures it contributed, for the explanation. */
export interface UsedOutcome {
  id: number;
  incidentId: string;
  attempt: number;
  verdict: Verdict;
  figures: Partial<Record<OutcomeFigure, number>>;
}

export interface OutcomeEstimate {
  action: RepairAction;
  k: number;
  cost: FigureEstimate;
  recovery: FigureEstimate;
  latencyMs: FigureEstimate;
  loss: FigureEstimate;
  /** Samples of this signature and action that measured at least one figure, newest first. */
  used: UsedOutcome[];
}

/** (k · prior + Σx) / (k + n). */
export function shrink(prior: number, xs: readonly number[], k: number = OUTCOME_PSEUDO_COUNT): number {
  return (k * prior + xs.reduce((s, x) => s + x, 0)) / (k + xs.length);
}

export function sameSignature(s: OutcomeSignature, o: OutcomeSignature): boolean {
  return s.faultClass === o.faultClass && (s.layer ?? null) === (o.layer ?? null);
}

/** Below 1 − this, the health index showed the fault, and its recovery can be measured. */
export const MIN_DEGRADATION = 0.05;

/** Recovery by verdict where health did not show the fault (the Q-reward's default too). */
export const RECOVERY_BY_VERDICT: Readonly<Record<Verdict, number>> = { pass: 1, inconclusive: 0.5, fail: 0 };

/** What one attempt recovered, in [0, 1] (see E[R] above). */
export function recoveryOf(s: Pick<OutcomeSampleInput, 'healthBefore' | 'healthAfter' | 'verdict'>): number {
  const { healthBefore: before, healthAfter: after } = s;
  if (before === undefined || after === undefined || 1 - before < MIN_DEGRADATION) return RECOVERY_BY_VERDICT[s.verdict];
  return Math.min(1, Math.max(0, (after - before) / (1 - before)));
}

/** The figures one sample measured, as the estimates read them. */
export function figuresOf(s: OutcomeSampleInput): Partial<Record<OutcomeFigure, number>> {
  const f: Partial<Record<OutcomeFigure, number>> = {};
  if (s.durationMs !== undefined) f.cost = durationCost(s.durationMs);
  f.recovery = recoveryOf(s);
  if (s.latencyAddedMs !== undefined) f.latencyMs = s.latencyAddedMs;
  if (s.lossAdded !== undefined) f.loss = s.lossAdded;
  return f;
}

/** E[C], E[R], SLO_lat and SLO_loss of `action` for `signature`, from its samples and the prior. */
export function estimateOutcomes(
  action: RepairAction,
  signature: OutcomeSignature,
  samples: readonly OutcomeSample[],
  prior: ActionPrior,
  k: number = OUTCOME_PSEUDO_COUNT,
): OutcomeEstimate {
  const used = samples
    .filter((s) => s.action === action && sameSignature(signature, s))
    .map((s) => ({ id: s.id, incidentId: s.incidentId, attempt: s.attempt, verdict: s.verdict, figures: figuresOf(s) }))
    .filter((u) => Object.keys(u.figures).length > 0);
  const figure = (name: OutcomeFigure, p: number): FigureEstimate => {
    const xs = used.flatMap((u) => (u.figures[name] === undefined ? [] : [u.figures[name] as number]));
    return { prior: p, n: xs.length, value: shrink(p, xs, k) };
  };
  return {
    action,
    k,
    cost: figure('cost', prior.cost),
    recovery: figure('recovery', prior.success * prior.recovery),
    latencyMs: figure('latencyMs', prior.latencyMs),
    loss: figure('loss', prior.loss),
    used,
  };
}

const fmt = (x: number) => (Math.round(x * 1000) / 1000).toString();

const FIGURE_LABEL: Record<OutcomeFigure, (x: number) => string> = {
  cost: (x) => `C=${fmt(x)}`,
  recovery: (x) => `R=${fmt(x)}`,
  latencyMs: (x) => `lat=${Math.round(x)}ms`,
  loss: (x) => `loss=${fmt(x)}`,
};

/** Cases an explanation names one by one; beyond that it gives how many more went into the figures. */
export const CASES_NAMED = 5;

/** "prior only (no cases)", or the cases used (the newest named) with their figures: what the explanation says. */
export function describeOutcomes(e: OutcomeEstimate): string {
  if (e.used.length === 0) return `${e.action}: prior only (no cases)`;
  const cases = e.used.slice(0, CASES_NAMED).map((u) => {
    const figs = (Object.keys(FIGURE_LABEL) as OutcomeFigure[]).flatMap((f) => (u.figures[f] === undefined ? [] : [FIGURE_LABEL[f](u.figures[f] as number)]));
    return `#${u.id} (${u.incidentId} attempt ${u.attempt}, ${u.verdict}: ${figs.join(' ')})`;
  });
  const more = e.used.length > CASES_NAMED ? ` and ${e.used.length - CASES_NAMED} older` : '';
  const learned = (Object.keys(FIGURE_LABEL) as OutcomeFigure[]).map((f) => `${FIGURE_LABEL[f](e[f].value)} (n=${e[f].n})`).join(' ');
  return `${e.action}: ${learned}, learned from ${e.used.length} case(s), k=${e.k}: ${cases.join(', ')}${more}`;
}
