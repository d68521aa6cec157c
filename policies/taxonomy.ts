/**
 * The fault taxonomy and the repair vocabulary shared by detection, policies, workflows and the CLI.
 * Pure data: safe to import from workflow code.
 */
export const LAYERS = ['infrastructure', 'data', 'model'] as const;
export type Layer = (typeof LAYERS)[number];

export const FAULT_CLASSES_BY_LAYER = {
  infrastructure: ['crash', 'hang', 'oom', 'lag', 'node-loss', 'overload'],
  data: [
    'schema-drift',
    'missing-fields',
    'type-mismatch',
    'null-spike',
    'out-of-range',
    'distribution-shift',
    'poison-records',
    'late-data',
    'corrupted-checkpoint',
  ],
  model: ['accuracy-drop', 'concept-drift', 'serving-skew', 'stale-features'],
} as const satisfies Record<Layer, readonly string[]>;

export type FaultClass = (typeof FAULT_CLASSES_BY_LAYER)[Layer][number];
export const FAULT_CLASSES: readonly FaultClass[] = LAYERS.flatMap((l) => FAULT_CLASSES_BY_LAYER[l]);
/**
 * What a verification says about a repair — a single probe, the whole verification, and the
 * attempts recorded in past cases all use it. Inconclusive: the probes could not decide.
 */
export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** A fault whose class diagnosis could not pin down yet. */
export const UNKNOWN_FAULT = 'unknown' as const;

export function layerOf(fault: FaultClass | typeof UNKNOWN_FAULT): Layer | undefined {
  for (const layer of LAYERS) {
    if ((FAULT_CLASSES_BY_LAYER[layer] as readonly string[]).includes(fault)) return layer;
  }
  return undefined;
}

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const REPAIR_ACTIONS = [
  'microreboot',
  'scale-out',
  'load-shedding',
  'replay-from-checkpoint',
  'checkpoint-restore',
  'schema-rollback',
  'quarantine',
  'model-rollback',
  'retrain-validate-promote',
  'retry-with-backoff',
  'escalate',
  'log-and-wait',
] as const;
export type RepairAction = (typeof REPAIR_ACTIONS)[number];

/** Risk ranks break ties in the policy engine: the lower-risk action wins. */
export const ACTION_RISK: Record<RepairAction, number> = {
  'log-and-wait': 0,
  escalate: 0,
  'retry-with-backoff': 1,
  quarantine: 2,
  'load-shedding': 3,
  microreboot: 3,
  'scale-out': 3,
  'schema-rollback': 4,
  'model-rollback': 4,
  'checkpoint-restore': 5,
  'replay-from-checkpoint': 5,
  'retrain-validate-promote': 6,
};

export const MODES = ['shadow', 'active'] as const;
export type Mode = (typeof MODES)[number];
