/**
 * Tabular Q-learning over incident decisions.
 *   state  s = `<fault class>|<severity>|<history bucket>` (qState): the bucket is how often this
 *            resource was repaired in the hour before the incident, plus the rungs already failed
 *            in it (HISTORY_BUCKETS), so a second rung learns in a different state than the first
 *   action a = a repair action
 *   reward r = λ·R − C, measured per attempt by the learn activity with the same figures as the
 *            outcome samples the planner's estimates come from (policies/outcomes.ts):
 *              R  = recoveryOf(sample): the share of the lost health index (1 − H_t, evidence and
 *                   telemetry) the repair won back, when the health index showed the fault;
 *                   else 1 / 0.5 / 0 for pass / inconclusive / fail
 *              C  = durationCost(measured duration) from the actuator log; unmeasured: the prior
 *            so Q is on the same scale as −(E[C] − λE[R]) and the engine can blend the two
 *   Q(s,a) ← Q(s,a) + η (r + γ max_a' Q(s',a') − Q(s,a)), with s' the state after a failed attempt
 *   (terminal when verification passed or a human took over).
 * Pure: the table is passed in and the updated entry returned; the knowledge base stores it.
 */
import type { FaultClass, RepairAction, Severity, UNKNOWN_FAULT, Verdict } from './taxonomy';
import { RECOVERY_BY_VERDICT } from './outcomes';

export interface QEntry {
  state: string;
  action: RepairAction;
  value: number;
  visits: number;
}

export type QIndex = ReadonlyMap<string, QEntry>;

export const HISTORY_BUCKETS = ['none', 'once', 'few', 'many'] as const;
export type HistoryBucket = (typeof HISTORY_BUCKETS)[number];

/** Recent repairs of the resource → a coarse bucket, so the table stays small. */
export function historyBucket(recentRepairs: number): HistoryBucket {
  if (recentRepairs <= 0) return 'none';
  if (recentRepairs === 1) return 'once';
  if (recentRepairs <= 3) return 'few';
  return 'many';
}

export function qState(fault: FaultClass | typeof UNKNOWN_FAULT, severity: Severity, recentRepairs: number): string {
  return `${fault}|${severity}|${historyBucket(recentRepairs)}`;
}

const key = (state: string, action: RepairAction) => `${state}\u0000${action}`;

export function indexQ(entries: readonly QEntry[]): Map<string, QEntry> {
  return new Map(entries.map((e) => [key(e.state, e.action), e]));
}

/** Puts an updated entry back into a mutable index (learning several steps in a row). */
export function storeQ(index: Map<string, QEntry>, entry: QEntry): void {
  index.set(key(entry.state, entry.action), entry);
}

export function lookupQ(index: QIndex, state: string, action: RepairAction): QEntry | undefined {
  return index.get(key(state, action));
}

/** max_a Q(s, a) over `actions`; 0 for actions never tried (optimistic about nothing, pessimistic about nothing). */
export function maxQ(index: QIndex, state: string, actions: readonly RepairAction[]): number {
  if (actions.length === 0) return 0;
  return Math.max(...actions.map((a) => lookupQ(index, state, a)?.value ?? 0));
}

export interface QSettings {
  /** η */
  learningRate: number;
  /** γ */
  discount: number;
}

export interface QTransition {
  state: string;
  action: RepairAction;
  reward: number;
  /** The state after the attempt; undefined when the incident ended (terminal). */
  nextState?: string;
  /** Actions available in nextState (the remaining ladder). */
  nextActions?: readonly RepairAction[];
}

/** One Q-learning step; returns the new entry (visits + 1) without touching the index. */
export function qUpdate(index: QIndex, t: QTransition, settings: QSettings): QEntry {
  const old = lookupQ(index, t.state, t.action);
  const q = old?.value ?? 0;
  const future = t.nextState === undefined ? 0 : settings.discount * maxQ(index, t.nextState, t.nextActions ?? []);
  const value = q + settings.learningRate * (t.reward + future - q);
  return { state: t.state, action: t.action, value, visits: (old?.visits ?? 0) + 1 };
}


/** r = λ·R − C; R defaults from the verification result when it was not measured. */
export function rewardFor(verification: Verdict, cost: number, lambda: number, recovery?: number): number {
  return lambda * (recovery ?? RECOVERY_BY_VERDICT[verification]) - cost;
}
