/**
 * For each injectable fault: its fault class, the telemetry signature it produces (a predicate
 * over sentinel telemetry records — what a detector should notice), and the repair that heals it
 * directly (action, target, parameters). Used by the drill that measures the figures below, and
 * meant for the demo policy and end-to-end tests.
 */
import type { FaultClass, RepairAction } from '../policies/taxonomy';
import type { TelemetryRecord } from '../sentinel/telemetry';
import type { FaultInput, FaultKind } from './faults/spec';

export interface PlaybookEntry {
  fault: FaultInput;
  faultClass: FaultClass;
  /** The component whose telemetry changes (where the incident opens). */
  component: string;
  signature: string;
  observe(r: TelemetryRecord): boolean;
  repair: { action: RepairAction; target: string; params?: Record<string, unknown> };
  /** Faults the injector leaves in force after the repair, lifted to end the episode. */
  clearAfter: boolean;
  /** Undo the repair (its compensation) once the fault is lifted, so the next episode starts clean. */
  undoAfter?: boolean;
}

const event = (component: string, e: string, message?: RegExp) => (r: TelemetryRecord): boolean =>
  r.kind === 'event' && r.component === component && r.event === e && (!message || message.test(r.message ?? ''));
const metric = (component: string, signal: string, pred: (v: number) => boolean) => (r: TelemetryRecord): boolean =>
  r.kind === 'metric' && r.component === component && r.signal === signal && pred(r.value);

export const PLAYBOOK: Record<FaultKind, PlaybookEntry> = {
  crash: {
    fault: { fault: 'crash', target: 'enrich' },
    faultClass: 'crash',
    component: 'enrich',
    signature: 'event CRASHED (osSignal SIGKILL) from enrich; its heartbeats stop',
    observe: event('enrich', 'CRASHED'),
    repair: { action: 'microreboot', target: 'enrich' },
    clearAfter: false,
  },
  hang: {
    fault: { fault: 'hang', target: 'score' },
    faultClass: 'hang',
    component: 'score',
    signature: 'event HUNG from score (no heartbeat for 3 s, process alive); metric lag of score grows',
    observe: event('score', 'HUNG'),
    repair: { action: 'microreboot', target: 'score', params: { graceMs: 500 } },
    clearAfter: false,
  },
  'memory-growth': {
    fault: { fault: 'memory-growth', target: 'sink', mbPerSec: 40 },
    faultClass: 'oom',
    component: 'sink',
    signature: 'metrics heap_used_mb / rss_mb of sink rise, then event OOMKilled (message: out of memory)',
    observe: event('sink', 'OOMKilled'),
    repair: { action: 'microreboot', target: 'sink' },
    clearAfter: false,
  },
  'slow-down': {
    fault: { fault: 'slow-down', target: 'score', delayMs: 14 },
    faultClass: 'lag',
    component: 'score',
    signature: 'metric lag of score grows without bound; latency_ms of score and sink rise; throughput of score below the source rate',
    observe: metric('score', 'lag', (v) => v > 300),
    repair: { action: 'scale-out', target: 'score' },
    clearAfter: true,
  },
  'schema-drift': {
    fault: { fault: 'schema-drift', mode: 'rename', field: 'amount', to: 'amt' },
    faultClass: 'schema-drift',
    component: 'source',
    signature: 'schema record of source with a new version and fingerprint (field amt instead of amount); profile.input of enrich: nullRates.amount ≈ 1',
    observe: (r) => r.kind === 'schema' && r.component === 'source' && r.fields.some((f) => f.name === 'amt'),
    repair: { action: 'schema-rollback', target: 'source' },
    clearAfter: true,
  },
  'null-spike': {
    fault: { fault: 'null-spike', field: 'amount', rate: 0.6 },
    faultClass: 'null-spike',
    component: 'source',
    signature: 'profile.output of source and profile.input of enrich: nullRates.amount jumps from 0 to ≈ rate; schema unchanged',
    observe: (r) => r.kind === 'profile' && r.component === 'enrich' && r.count > 20 && (r.nullRates.amount ?? 0) > 0.4,
    repair: { action: 'quarantine', target: 'source' },
    clearAfter: true,
    undoAfter: true,
  },
  'distribution-shift': {
    fault: { fault: 'distribution-shift', shift: 2.5, mode: 'abrupt' },
    faultClass: 'distribution-shift',
    component: 'source',
    signature: 'profile.output of source: means.x1 moves by ≈ shift σ, histograms.x1 mass moves to the upper bins (PSI / KS); gradual mode ramps it',
    observe: (r) => r.kind === 'profile' && r.component === 'source' && r.count > 20 && (r.means?.x1 ?? 0) > 1.5,
    repair: { action: 'retrain-validate-promote', target: 'score' },
    clearAfter: true,
  },
  'poison-records': {
    fault: { fault: 'poison-records', rate: 0.05 },
    faultClass: 'poison-records',
    component: 'enrich',
    signature: 'event STALLED from enrich naming the unparseable record; metric errors of enrich > 0 every second, its throughput drops to 0, its lag grows',
    observe: event('enrich', 'STALLED', /cannot parse/),
    repair: { action: 'quarantine', target: 'source' },
    clearAfter: true,
  },
  'concept-drift': {
    fault: { fault: 'concept-drift', severity: 1 },
    faultClass: 'concept-drift',
    component: 'score',
    signature: 'model.error stream of score turns mostly 1 (DDM / EDDM); model.accuracy falls from ≈ 0.9 to < 0.4; input profiles unchanged',
    observe: (r) => r.kind === 'model' && r.component === 'score' && r.accuracy !== undefined && (r.n ?? 0) >= 50 && r.accuracy < 0.4,
    repair: { action: 'retrain-validate-promote', target: 'score' },
    clearAfter: true,
  },
  'accuracy-drop': {
    fault: { fault: 'accuracy-drop' },
    faultClass: 'accuracy-drop',
    component: 'score',
    signature: 'model.accuracy / model.error of score under a new modelVersion collapse right after a pin change; input profiles unchanged',
    observe: (r) => r.kind === 'model' && r.component === 'score' && r.accuracy !== undefined && (r.n ?? 0) >= 50 && r.accuracy < 0.4,
    repair: { action: 'model-rollback', target: 'score' },
    clearAfter: false,
  },
  'corrupt-checkpoint': {
    fault: { fault: 'corrupt-checkpoint' },
    faultClass: 'corrupted-checkpoint',
    component: 'enrich',
    signature: 'event CRASHED from enrich with exitCode 3 and message "corrupt-checkpoint: … checksum mismatch"; enrich stays down',
    observe: event('enrich', 'CRASHED', /corrupt-checkpoint/),
    repair: { action: 'checkpoint-restore', target: 'enrich' },
    clearAfter: false,
  },
};
