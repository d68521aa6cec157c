/**
 * The stored form of one partition's engine state: its component monitors, the incident actions
 * taken but not yet confirmed sent, and the eviction clock. Version 1 (before eviction) is read
 * too; its components are upgraded by `component-snapshot.ts`.
 */
import { z } from 'zod';
import type { IncidentAction } from './component';

const pendingAction = z
  .object({
    key: z.string(),
    kind: z.enum(['open', 'evidence']),
    source: z.object({ topic: z.string(), partition: z.number().int(), offset: z.number().int() }),
    pipeline: z.string(),
    component: z.string(),
    evidence: z.object({ at: z.string(), source: z.string(), summary: z.string() }).passthrough(),
    input: z.object({ pipeline: z.string(), component: z.string() }).passthrough().optional(),
  })
  .passthrough();

export const partitionSnapshot = z.object({
  v: z.union([z.literal(1), z.literal(2)]),
  components: z.array(z.unknown()),
  pending: z.array(pendingAction),
  watermark: z.number().optional(),
  nextSweepAt: z.number().optional(),
});

export interface PartitionSnapshot {
  v: 2;
  /** ComponentSnapshot each (see `component-snapshot.ts`). */
  components: unknown[];
  /** Incident actions taken but not yet confirmed sent; re-sent after a restore unless the ledger has them. */
  pending: IncidentAction[];
  watermark: number;
  nextSweepAt: number;
}
