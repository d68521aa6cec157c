/**
 * How long and how steadily a repair must pass its probes, per action: verification probes as
 * soon as the repair completes, every `probeEveryMs`, until `passesInARow` consecutive rounds pass
 * (healed) or `deadlineMs` has passed since the repair ended (failed when any round failed —
 * flapping or still broken —, else inconclusive). Both are learned from the action's past
 * verifications in the knowledge base and bounded by the pipeline's policy:
 *
 * - deadline: twice the slowest recent passing verification plus the rounds a streak needs, so a
 *   repair that used to pass in 3 s is failed after ~10 s instead of waiting a fixed window; with
 *   no past verification, the policy's `deadline.initial`; with fewer than MIN_PASSES_TO_SHORTEN
 *   passing ones, never shorter than it. Never under the floor (the policy's
 *   `deadline.min` and its settle time, e.g. a Kafka group's rebalance) nor over `deadline.max`.
 * - passes in a row: the policy's minimum, plus one for each recent verification of the action
 *   that flapped (passed, then failed), up to the maximum.
 *
 * Pure: safe to import from workflow code.
 */
import type { PastCase } from './case-based';
import type { PipelinePolicy } from './schema';
import type { RepairAction } from './taxonomy';

export interface VerificationSchedule {
  passesInARow: number;
  deadlineMs: number;
  probeEveryMs: number;
  /** What the schedule was learned from, in words, for the explanation. */
  basis: string;
}

/** How an until-stable verification went: rounds probed, for how long, and how often it flapped. */
export interface VerificationTrace {
  rounds: number;
  /** From the end of the repair to the verdict. */
  verifyMs: number;
  flaps: number;
  passesInARow: number;
  deadlineMs: number;
  /** What the schedule was learned from. */
  basis: string;
}

/** Recent verifications of the action that the schedule learns from. */
export const SCHEDULE_WINDOW = 20;

/**
 * Passing verifications an action needs before its learned deadline may fall below the policy's
 * initial one. One fast pass on a quiet machine (1 s) otherwise gave the next repair a 10 s
 * deadline, and a scale-out whose lag drained more slowly under load was escalated as
 * inconclusive while it was healing; with few samples the learned figure may only lengthen it.
 */
export const MIN_PASSES_TO_SHORTEN = 3;

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export function verificationSchedule(
  policy: PipelinePolicy['verification'],
  action: RepairAction,
  past: readonly PastCase[],
  /** Least time a repair is given, when the worker asks for more than the policy (0: the policy's settle). */
  settleMs = policy.settle,
): VerificationSchedule {
  const { passesInARow: passes, deadline } = policy;
  const floor = Math.min(deadline.max, Math.max(deadline.min, settleMs));
  const recent = past.filter((c) => c.action === action && c.verifyMs !== undefined).slice(0, SCHEDULE_WINDOW);
  const flapped = recent.filter((c) => (c.flaps ?? 0) > 0).length;
  const passesInARow = clamp(passes.min + flapped, passes.min, passes.max);
  const passed = recent.filter((c) => c.verification === 'pass').map((c) => c.verifyMs as number);
  const flapNote = flapped > 0 ? `; ${flapped} of them flapped` : '';
  if (passed.length === 0) {
    return {
      passesInARow,
      deadlineMs: clamp(deadline.initial, floor, deadline.max),
      probeEveryMs: policy.probeEvery,
      basis: recent.length === 0 ? `no past verification of ${action}: the policy's initial deadline` : `no past verification of ${action} passed (${recent.length} seen${flapNote}): the policy's initial deadline`,
    };
  }
  const slowest = Math.max(...passed);
  const learned = Math.ceil(2 * slowest + passesInARow * policy.probeEvery);
  const tooFew = passed.length < MIN_PASSES_TO_SHORTEN && learned < deadline.initial;
  return {
    passesInARow,
    deadlineMs: clamp(tooFew ? deadline.initial : learned, floor, deadline.max),
    probeEveryMs: policy.probeEvery,
    basis:
      `${passed.length} past passing verification(s) of ${action}, slowest ${(slowest / 1000).toFixed(1)} s${flapNote}` +
      (tooFew ? `: too few (< ${MIN_PASSES_TO_SHORTEN}) to shorten the policy's initial deadline` : ''),
  };
}
