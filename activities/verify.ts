/**
 * Verify: run the template's probes after the settle window. All pass → pass; any fail → fail
 * (the workflow climbs the ladder); otherwise inconclusive (a human looks). No probes → inconclusive:
 * an unverified repair is never reported as healed.
 */
import { resourceOf } from '../policies/safety';
import type { ProbeOutcome, VerifyInput, VerifyResult } from './contracts';
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
