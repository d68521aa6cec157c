/** Outcome samples: what each attempted action measurably did, one row per attempt of a closed incident. */
import type Database from 'better-sqlite3';
import type { OutcomeSample, OutcomeSampleInput } from '../../policies/outcomes';
import type { FaultClass, Layer, RepairAction, UNKNOWN_FAULT, Verdict } from '../../policies/taxonomy';

export interface OutcomeRow {
  id: number;
  incident_id: string;
  run_id: string | null;
  pipeline: string;
  component: string;
  fault_class: string;
  layer: string | null;
  action: string;
  attempt: number;
  duration_ms: number | null;
  health_before: number | null;
  health_during: number | null;
  health_after: number | null;
  slo_latency_ms: number | null;
  slo_quality_ms: number | null;
  slo_loss_ms: number | null;
  latency_added_ms: number | null;
  loss_added: number | null;
  verdict: string;
  at: number;
}

export interface OutcomeQuery {
  faultClass?: FaultClass | typeof UNKNOWN_FAULT;
  action?: RepairAction;
  limit?: number;
}

/** The columns in insert order, with the value each takes from a sample (null: not measured). */
export function outcomeValues(s: OutcomeSampleInput): (string | number | null)[] {
  return [
    s.incidentId, s.runId ?? null, s.pipeline, s.component, s.faultClass, s.layer ?? null, s.action, s.attempt,
    s.durationMs ?? null, s.healthBefore ?? null, s.healthDuring ?? null, s.healthAfter ?? null,
    s.sloLatencyMs ?? null, s.sloQualityMs ?? null, s.sloLossMs ?? null, s.latencyAddedMs ?? null, s.lossAdded ?? null,
    s.verdict, s.at,
  ];
}

export const OUTCOME_COLUMNS =
  'incident_id, run_id, pipeline, component, fault_class, layer, action, attempt, duration_ms, health_before, health_during, health_after, slo_latency_ms, slo_quality_ms, slo_loss_ms, latency_added_ms, loss_added, verdict, at';

export function toOutcome(r: OutcomeRow): OutcomeSample {
  const opt = <K extends keyof OutcomeSample>(k: K, v: number | null) => (v === null ? {} : { [k]: Number(v) });
  return {
    id: Number(r.id),
    incidentId: r.incident_id,
    ...(r.run_id === null ? {} : { runId: r.run_id }),
    pipeline: r.pipeline,
    component: r.component,
    faultClass: r.fault_class as FaultClass | typeof UNKNOWN_FAULT,
    ...(r.layer === null ? {} : { layer: r.layer as Layer }),
    action: r.action as RepairAction,
    attempt: Number(r.attempt),
    ...opt('durationMs', r.duration_ms),
    ...opt('healthBefore', r.health_before),
    ...opt('healthDuring', r.health_during),
    ...opt('healthAfter', r.health_after),
    ...opt('sloLatencyMs', r.slo_latency_ms),
    ...opt('sloQualityMs', r.slo_quality_ms),
    ...opt('sloLossMs', r.slo_loss_ms),
    ...opt('latencyAddedMs', r.latency_added_ms),
    ...opt('lossAdded', r.loss_added),
    verdict: r.verdict as Verdict,
    at: Number(r.at),
  };
}

export function recordOutcomes(db: Database.Database, samples: readonly OutcomeSampleInput[]): OutcomeSample[] {
  const insert = db.prepare(`INSERT INTO outcome_samples (${OUTCOME_COLUMNS}) VALUES (${OUTCOME_COLUMNS.split(',').map(() => '?').join(', ')})`);
  const get = db.prepare('SELECT * FROM outcome_samples WHERE id = ?');
  return samples.map((s) => toOutcome(get.get(Number(insert.run(...outcomeValues(s)).lastInsertRowid)) as OutcomeRow));
}

/** Newest first. */
export function outcomeSamples(db: Database.Database, q: OutcomeQuery): OutcomeSample[] {
  const rows = db
    .prepare('SELECT * FROM outcome_samples WHERE (? IS NULL OR fault_class = ?) AND (? IS NULL OR action = ?) ORDER BY at DESC, id DESC LIMIT ?')
    .all(q.faultClass ?? null, q.faultClass ?? null, q.action ?? null, q.action ?? null, q.limit ?? 500) as OutcomeRow[];
  return rows.map(toOutcome);
}
