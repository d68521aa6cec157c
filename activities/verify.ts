/**
 * Verify: run the template's probes once (`verify`), or round after round until they pass steadily
 * (`verifyUntilStable`, below). All pass → pass; any fail → fail
 * (the workflow climbs the ladder); otherwise inconclusive (a human looks). No probes → inconclusive:
 * an unverified repair is never reported as healed.
 */
import { Context } from '@temporalio/activity';
import { resourceOf } from '../policies/safety';
import type { Verdict } from '../policies/taxonomy';
import type { VerificationTrace } from '../policies/verification';
import type { ProbeOutcome, VerifyInput, VerifyResult, VerifyUntilStableInput, VerifyUntilStableResult } from './contracts';
import { DEFAULT_LEASE_TTL_MS, type IncidentDeps } from './deps';

export async function verify(deps: IncidentDeps, input: VerifyInput): Promise<VerifyResult> {
  // The repair's lease is held until verification ends: keep it from lapsing during a long settle.
  if (input.lease) {
    await deps.kb.renewLease({ resource: resourceOf(input.pipeline, input.lease.target), holder: input.incidentId, token: input.lease.token, ttlMs: deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS });
  }
  if (input.probes.length === 0) {
    return { result: 'inconclusive', probes: [{ name: 'none', result: 'inconclusive', detail: `${input.action} declares no verification probe` }] };
  }
  const probes: ProbeOutcome[] = [];
  for (const name of input.probes) {
    try {
      probes.push({ ...(await deps.probes(name, input)), name });
    } catch (err) {
      probes.push({ name, result: 'inconclusive' as const, detail: `probe failed to run: ${(err as Error).message}` });
    }
  }
  const result = probes.some((p) => p.result === 'fail') ? 'fail' : probes.every((p) => p.result === 'pass') ? 'pass' : 'inconclusive';
  return { result, probes };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Heartbeats when run as an activity; a no-op when called directly (tests, tools). */
function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Not inside an activity.
  }
}

/**
 * Until-stable verification: the first round runs as soon as the repair has completed, then one
 * every `probeEveryMs` until `passesInARow` consecutive rounds pass or `deadlineMs` has passed. A
 * failing round right after a passing one is a flap: the streak starts over, and at the deadline a
 * verification that saw any failing round fails (a component that flaps, or was never repaired,
 * is not healed); rounds that never failed but never passed steadily end inconclusive.
 */
export async function verifyUntilStable(input: VerifyUntilStableInput, round: (input: VerifyInput) => Promise<VerifyResult>): Promise<VerifyUntilStableResult> {
  const { schedule, ...one } = input;
  const started = Date.now();
  const deadline = started + schedule.deadlineMs;
  let streak = 0;
  let rounds = 0;
  let flaps = 0;
  let lastFailing: VerifyResult | undefined;
  let lastUnsteady: VerifyResult | undefined;
  // The last round that decided something (pass or fail): a fail right after a pass is a flap.
  let lastDecisive: Verdict | undefined;
  let last: VerifyResult;
  for (;;) {
    last = await round(one);
    rounds += 1;
    heartbeat({ rounds, result: last.result });
    if (last.result === 'pass') {
      streak += 1;
      lastDecisive = 'pass';
      if (streak >= schedule.passesInARow) break;
    } else {
      if (last.result === 'fail') {
        if (lastDecisive === 'pass') flaps += 1;
        lastDecisive = 'fail';
        lastFailing = last;
      }
      lastUnsteady = last;
      streak = 0;
    }
    // A repair that declares no probe can never pass: no point in waiting for the deadline.
    if (one.probes.length === 0 || Date.now() + schedule.probeEveryMs >= deadline) break;
    await sleep(schedule.probeEveryMs);
  }
  const trace: VerificationTrace = {
    rounds,
    verifyMs: Date.now() - started,
    flaps,
    passesInARow: schedule.passesInARow,
    deadlineMs: schedule.deadlineMs,
    basis: schedule.basis,
  };
  if (streak >= schedule.passesInARow) return { ...last, trace };
  // The deadline passed without a steady pass: the round that says why decides.
  if (lastFailing) return { result: 'fail', probes: lastFailing.probes, trace };
  return { result: 'inconclusive', probes: (lastUnsteady ?? last).probes, trace };
}
