/**
 * The faults the injector knows, as one zod schema: the CLI's flags and the API's arguments are
 * validated by the same definition.
 */
import { z } from 'zod';
import { componentSchema } from '../config';

const duration = { durationMs: z.number().int().positive().optional() };

export const faultSpecSchema = z.discriminatedUnion('fault', [
  z.object({ fault: z.literal('crash'), target: componentSchema.default('enrich'), signal: z.enum(['SIGKILL', 'SIGSEGV', 'SIGABRT', 'SIGTERM']).default('SIGKILL'), mode: z.enum(['signal', 'exit']).default('signal') }),
  z.object({ fault: z.literal('hang'), target: componentSchema.default('enrich') }),
  z.object({ fault: z.literal('slow-down'), target: componentSchema.default('score'), delayMs: z.number().int().min(1).max(1_000).default(25), ...duration }),
  z.object({ fault: z.literal('memory-growth'), target: componentSchema.default('score'), mbPerSec: z.number().positive().max(200).default(24) }),
  z.object({
    fault: z.literal('schema-drift'),
    target: z.literal('source').default('source'),
    mode: z.enum(['rename', 'drop', 'type']).default('rename'),
    field: z.string().default('amount'),
    to: z.string().default('amt'),
  }),
  z.object({ fault: z.literal('null-spike'), target: z.literal('source').default('source'), field: z.string().default('amount'), rate: z.number().min(0).max(1).default(0.6), ...duration }),
  z.object({
    fault: z.literal('distribution-shift'),
    target: z.literal('source').default('source'),
    shift: z.number().default(2.5),
    mode: z.enum(['abrupt', 'gradual']).default('abrupt'),
    rampMs: z.number().int().positive().default(20_000),
    ...duration,
  }),
  z.object({ fault: z.literal('poison-records'), target: z.literal('source').default('source'), rate: z.number().min(0).max(1).default(0.05), ...duration }),
  z.object({ fault: z.literal('concept-drift'), target: z.literal('source').default('source'), severity: z.number().min(0).max(1).default(1), ...duration }),
  z.object({ fault: z.literal('accuracy-drop'), target: z.literal('score').default('score') }),
  z.object({ fault: z.literal('corrupt-checkpoint'), target: z.literal('enrich').default('enrich'), restart: z.boolean().default(true) }),
]);
export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type FaultInput = z.input<typeof faultSpecSchema>;
export type FaultKind = FaultSpec['fault'];
export const FAULT_KINDS: readonly FaultKind[] = faultSpecSchema.options.map((o) => o.shape.fault.value);

export interface InjectedFault {
  id: string;
  fault: FaultKind;
  target: string;
  injectedAt: string;
  params: Record<string, unknown>;
  /** What the injector did, for the operator and the demo's log. */
  detail: string;
}
