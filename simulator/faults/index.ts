/**
 * The fault injector's API: `injectFault(ctx, spec)` validates the spec and applies it;
 * `clearFaults` lifts control-channel faults (process faults already applied — a hang, a leak —
 * stay until the process is restarted, as in life).
 *
 * Control channel: rows in the `faults` table of `<dir>/pipeline.db`, polled by every pipeline
 * process every 250 ms (see simulator/state.ts).
 */
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';
import type { FaultContext } from './context';
import { injectConceptDrift, injectAccuracyDrop } from './model-faults';
import { injectCorruptCheckpoint } from './checkpoint-faults';
import { injectDistributionShift, injectNullSpike, injectPoison, injectSchemaDrift } from './data-faults';
import { injectCrash, injectHang, injectMemoryGrowth, injectSlowDown } from './process-faults';
import { faultSpecSchema, type FaultSpec, type InjectedFault } from './spec';

export { FAULT_KINDS, faultSpecSchema, type FaultInput, type FaultKind, type FaultSpec, type InjectedFault } from './spec';
export { faultContextOf, openFaultContext, type FaultContext } from './context';

export function parseFaultSpec(input: unknown): FaultSpec {
  const parsed = faultSpecSchema.safeParse(input);
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `fault: ${formatZodIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

export async function injectFault(ctx: FaultContext, input: unknown): Promise<InjectedFault> {
  const spec = parseFaultSpec(input);
  switch (spec.fault) {
    case 'crash':
      return injectCrash(ctx, spec);
    case 'hang':
      return injectHang(ctx, spec);
    case 'slow-down':
      return injectSlowDown(ctx, spec);
    case 'memory-growth':
      return injectMemoryGrowth(ctx, spec);
    case 'schema-drift':
      return injectSchemaDrift(ctx, spec);
    case 'null-spike':
      return injectNullSpike(ctx, spec);
    case 'distribution-shift':
      return injectDistributionShift(ctx, spec);
    case 'poison-records':
      return injectPoison(ctx, spec);
    case 'concept-drift':
      return injectConceptDrift(ctx, spec);
    case 'accuracy-drop':
      return injectAccuracyDrop(ctx, spec);
    case 'corrupt-checkpoint':
      return injectCorruptCheckpoint(ctx, spec);
  }
}

export function clearFaults(ctx: FaultContext, filter: { id?: string; kind?: string; component?: string } = {}): number {
  return ctx.state.clearFaults(filter);
}
