/**
 * The stored form of one component monitor (version 2): fusion state, its inputs with the record
 * time each was last seen, the hard-fault and incident marks, the readers' memory, and the recent
 * records and health. It is validated on restore (it comes back from a file), and a version-1
 * snapshot — written before the readers' memory had its own shape — is upgraded, so a sentinel
 * upgraded in place keeps its detectors.
 */
import { z } from 'zod';
import { FAULT_CLASSES, LAYERS } from '../policies/taxonomy';
import { SIGNAL_CLASSES } from './config';
import { memorySnapshot, type MemorySnapshot } from './memory';

const inputEntry = z.tuple([z.string(), z.enum([...SIGNAL_CLASSES, 'score']), z.enum(LAYERS), z.number()]);
export type InputEntry = z.infer<typeof inputEntry>;

export const componentSnapshot = z.object({
  v: z.literal(2),
  pipeline: z.string(),
  component: z.string(),
  /** A ComponentHealth snapshot; ComponentHealth.restore validates it. */
  health: z.unknown().nullable(),
  inputs: z.array(inputEntry),
  rawWeights: z.array(z.tuple([z.string(), z.number()])),
  hardFaultAt: z.number().nullable(),
  hardFaultClass: z.enum(FAULT_CLASSES).nullable(),
  lastEvidenceAt: z.number().nullable(),
  lastOpenAt: z.number().nullable(),
  lastTs: z.number(),
  memory: memorySnapshot,
  samples: z.array(z.unknown()),
  recent: z.array(z.number()),
  opened: z.number().int().nonnegative(),
  evidenced: z.number().int().nonnegative(),
  /** Absent in snapshots written before REPAIRED events existed. */
  rearmed: z.number().int().nonnegative().optional(),
  repairedAt: z.number().nullable().optional(),
});
export type ComponentSnapshot = z.infer<typeof componentSnapshot>;

/** Version 1, as far as the upgrade needs it. */
const v1 = z.object({
  pipeline: z.string(),
  component: z.string(),
  health: z.unknown().nullable(),
  signals: z.array(z.tuple([z.string(), z.string(), z.string()])),
  hardFaultAt: z.number().nullable(),
  lastEvidenceAt: z.number().nullable(),
  lastOpenAt: z.number().nullable().optional(),
  lastTs: z.number(),
  fingerprints: z.array(z.tuple([z.string(), z.string()])),
  references: z.array(z.tuple([z.string(), z.array(z.number())])),
  samples: z.array(z.unknown()),
  recent: z.array(z.number()),
  opened: z.number(),
  evidenced: z.number(),
  rawWeights: z.array(z.tuple([z.string(), z.number()])),
});

/**
 * Turns a version-1 snapshot into version 2: rings lose their `@ring` suffix, every series counts
 * as touched at the component's last record, and what version 1 did not keep (the last hard
 * fault's class, per-instance throughput, the throughput level) starts empty, as a version-1
 * restore did.
 */
export function upgradeSnapshot(snapshot: unknown): unknown {
  if (typeof snapshot === 'object' && snapshot !== null && (snapshot as { v?: unknown }).v === 2) return snapshot;
  const old = v1.parse(snapshot);
  const memory: MemorySnapshot = {
    rings: old.references.map(([k, values]) => [k.replace(/@ring$/, ''), values, old.lastTs]),
    fingerprints: old.fingerprints.map(([k, value]) => [k, value, old.lastTs]),
    instances: [],
    throughputLevel: null,
  };
  return {
    v: 2,
    pipeline: old.pipeline,
    component: old.component,
    health: old.health,
    inputs: old.signals.map(([name, cls, layer]) => [name, cls, layer, old.lastTs]),
    rawWeights: old.rawWeights,
    hardFaultAt: old.hardFaultAt,
    hardFaultClass: null,
    lastEvidenceAt: old.lastEvidenceAt,
    lastOpenAt: old.lastOpenAt ?? null,
    lastTs: old.lastTs,
    memory,
    samples: old.samples,
    recent: old.recent,
    opened: old.opened,
    evidenced: old.evidenced,
  };
}
