/**
 * Case-based estimates of E[C(a)] and E[R(a)] for the policy engine: past attempts of an action
 * on similar faults, weighted by similarity of fault signatures, with Beta-smoothed success rates
 * so that a handful of cases never produce a certainty, and per-action priors when there are none.
 * Pure: safe to import from workflow code.
 */
import { layerOf, SEVERITIES, type FaultClass, type Layer, type RepairAction, type Severity, type UNKNOWN_FAULT, type Verdict } from './taxonomy';


/** One attempt of one action during a past incident, as the knowledge base returns it. */
export interface PastCase {
  pipeline?: string;
  component: string;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  layer?: Layer;
  severity: Severity;
  action: RepairAction;
  verification: Verdict;
  durationMs?: number;
  /** Normalised cost in [0, 1]. */
  cost?: number;
  /** Health recovered, ΔH in [0, 1]. */
  recovery?: number;
  latencyMs?: number;
  loss?: number;
  /** From the end of the repair to the last probe round of its verification (ms). */
  verifyMs?: number;
  /** Times a passing probe round was followed by a failing one during that verification. */
  flaps?: number;
}

export interface FaultSignatureLite {
  component: string;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  layer?: Layer;
  severity: Severity;
}

/** What we believe about an action before any case: success probability, cost, recovery, SLO impact. */
export interface ActionPrior {
  success: number;
  cost: number;
  /** Health recovered when it works, in [0, 1]. */
  recovery: number;
  /** End-to-end latency the repair causes while it runs (ms): SLO_lat(a). */
  latencyMs: number;
  /** Fraction of records or quality lost while it runs: SLO_loss(a). */
  loss: number;
}

/**
 * Rough, conservative priors. Escalation "works" (a human fixes it) but is expensive; waiting is
 * cheap and rarely fixes anything; heavier repairs cost more and stall the pipeline longer.
 */
export const ACTION_PRIORS: Record<RepairAction, ActionPrior> = {
  'log-and-wait': { success: 0.2, cost: 0.02, recovery: 0.3, latencyMs: 0, loss: 0 },
  escalate: { success: 0.9, cost: 0.6, recovery: 0.8, latencyMs: 0, loss: 0 },
  'retry-with-backoff': { success: 0.4, cost: 0.05, recovery: 0.6, latencyMs: 5_000, loss: 0 },
  quarantine: { success: 0.7, cost: 0.1, recovery: 0.7, latencyMs: 1_000, loss: 0.02 },
  'load-shedding': { success: 0.7, cost: 0.25, recovery: 0.7, latencyMs: 0, loss: 0.05 },
  microreboot: { success: 0.7, cost: 0.1, recovery: 0.8, latencyMs: 10_000, loss: 0 },
  'scale-out': { success: 0.75, cost: 0.3, recovery: 0.8, latencyMs: 30_000, loss: 0 },
  'schema-rollback': { success: 0.7, cost: 0.2, recovery: 0.8, latencyMs: 5_000, loss: 0 },
  'model-rollback': { success: 0.7, cost: 0.2, recovery: 0.8, latencyMs: 5_000, loss: 0.02 },
  'checkpoint-restore': { success: 0.75, cost: 0.35, recovery: 0.85, latencyMs: 30_000, loss: 0 },
  'replay-from-checkpoint': { success: 0.75, cost: 0.4, recovery: 0.85, latencyMs: 45_000, loss: 0 },
  'retrain-validate-promote': { success: 0.65, cost: 0.7, recovery: 0.85, latencyMs: 0, loss: 0.03 },
};

export interface CbrSettings {
  /** Cases less similar than this are ignored. */
  minSimilarity: number;
  /** Pseudo-cases behind each prior: 2 with a 0.5 prior is Laplace's rule. */
  priorStrength: number;
}

export const DEFAULT_CBR: CbrSettings = { minSimilarity: 0.5, priorStrength: 2 };

const WEIGHTS = { faultClass: 0.5, component: 0.2, layer: 0.15, severity: 0.15 } as const;

/** Similarity of two fault signatures in [0, 1]: same fault class matters most, then component, layer, severity. */
export function similarity(a: FaultSignatureLite, b: FaultSignatureLite): number {
  const layerA = a.layer ?? layerOf(a.faultClass);
  const layerB = b.layer ?? layerOf(b.faultClass);
  const sevGap = Math.abs(SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)) / (SEVERITIES.length - 1);
  return (
    WEIGHTS.faultClass * (a.faultClass === b.faultClass && a.faultClass !== 'unknown' ? 1 : 0) +
    WEIGHTS.component * (a.component === b.component ? 1 : 0) +
    WEIGHTS.layer * (layerA !== undefined && layerA === layerB ? 1 : 0) +
    WEIGHTS.severity * (1 - sevGap)
  );
}

export interface CaseEstimate {
  action: RepairAction;
  /** Beta-smoothed probability that verification passes. */
  successRate: number;
  expectedCost: number;
  /** E[R(a)] = P(success) × recovery when it works. */
  expectedRecovery: number;
  expectedLatencyMs: number;
  expectedLoss: number;
  /** Similar cases used, and their summed similarity weight. */
  cases: number;
  support: number;
  meanDurationMs?: number;
}

const SUCCESS_VALUE: Record<Verdict, number> = { pass: 1, fail: 0, inconclusive: 0.5 };

/** Cost of a case with no measured cost: longer repairs cost more, saturating at about 10 minutes. */
export function durationCost(durationMs: number): number {
  return 1 - Math.exp(-durationMs / 600_000);
}

/** Smoothed mean: `strength` pseudo-observations at `prior` plus weighted observations. */
function smoothed(prior: number, strength: number, obs: readonly { w: number; x: number }[]): number {
  const w = obs.reduce((s, o) => s + o.w, 0);
  return (prior * strength + obs.reduce((s, o) => s + o.w * o.x, 0)) / (strength + w);
}

/** E[C], E[R] and SLO impacts of `action` for the signature, from similar past attempts and the prior. */
export function estimateFromCases(
  action: RepairAction,
  signature: FaultSignatureLite,
  cases: readonly PastCase[],
  prior: ActionPrior = ACTION_PRIORS[action],
  settings: CbrSettings = DEFAULT_CBR,
): CaseEstimate {
  const similar = cases
    .filter((c) => c.action === action)
    .map((c) => ({ c, w: similarity(signature, c) }))
    .filter((x) => x.w >= settings.minSimilarity);
  const k = settings.priorStrength;
  const successRate = smoothed(prior.success, k, similar.map(({ c, w }) => ({ w, x: SUCCESS_VALUE[c.verification] })));
  const costObs = similar.flatMap(({ c, w }) => {
    const x = c.cost ?? (c.durationMs === undefined ? undefined : durationCost(c.durationMs));
    return x === undefined ? [] : [{ w, x }];
  });
  const pick = (key: 'recovery' | 'latencyMs' | 'loss') =>
    similar.flatMap(({ c, w }) => (c[key] === undefined ? [] : [{ w, x: c[key] as number }]));
  // Recovery when it works: only passing attempts say how much a success recovers.
  const recoveryObs = similar.filter(({ c }) => c.verification === 'pass').flatMap(({ c, w }) => (c.recovery === undefined ? [] : [{ w, x: c.recovery }]));
  const durations = similar.filter(({ c }) => c.durationMs !== undefined);
  const support = similar.reduce((s, x) => s + x.w, 0);
  return {
    action,
    successRate,
    expectedCost: smoothed(prior.cost, 1, costObs),
    expectedRecovery: successRate * smoothed(prior.recovery, 1, recoveryObs),
    expectedLatencyMs: smoothed(prior.latencyMs, 1, pick('latencyMs')),
    expectedLoss: smoothed(prior.loss, 1, pick('loss')),
    cases: similar.length,
    support,
    ...(durations.length > 0
      ? { meanDurationMs: durations.reduce((s, { c, w }) => s + w * (c.durationMs as number), 0) / durations.reduce((s, { w }) => s + w, 0) }
      : {}),
  };
}
