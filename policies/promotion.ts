/**
 * Progressive autonomy. For each pipeline + fault class the engine's first choice (the "would-do"
 * action in shadow mode, the first rung planned in active mode) is compared with the action
 * finally verified or approved; once the precision of those
 * predictions reaches the bar over enough cases, the class is promoted from shadow to active, and
 * demoted when it falls. Decisions come back as events for the audit log.
 * Pure: safe to import from workflow code.
 */
import type { PipelinePolicy } from './schema';
import type { FaultClass, Mode, RepairAction } from './taxonomy';

export interface ShadowRecord {
  /** The incident run the prediction was made in (`<incident id>@<first run id>`; the bare incident id in records made before runs were known). */
  incidentId: string;
  pipeline: string;
  faultClass: FaultClass;
  /** What the engine chose (and, in shadow mode, would have done). */
  wouldDo: RepairAction;
  /**
   * The action that was finally verified (it worked) or approved by a human. `null`: the incident
   * closed without one (a human handled it off-line). `undefined`: still open, not counted.
   */
  finalAction?: RepairAction | null;
  at: number;
}

export interface PrecisionReport {
  precision: number;
  cases: number;
  matched: number;
}

/** Precision over the most recent `window` decided records (newest by `at`). */
export function shadowPrecision(records: readonly ShadowRecord[], window = Number.POSITIVE_INFINITY): PrecisionReport {
  const decided = records
    .filter((r) => r.finalAction !== undefined)
    .sort((a, b) => b.at - a.at || a.incidentId.localeCompare(b.incidentId))
    .slice(0, window);
  // A human who handled it with no automated action agrees with a would-do of "escalate".
  const matched = decided.filter((r) => r.wouldDo === (r.finalAction ?? 'escalate')).length;
  return { precision: decided.length === 0 ? 0 : matched / decided.length, cases: decided.length, matched };
}

export interface PromotionEvent {
  kind: 'promote' | 'demote';
  pipeline: string;
  faultClass: FaultClass;
  from: Mode;
  to: Mode;
  precision: number;
  cases: number;
  bar: number;
  reason: string;
  at: number;
}

export interface PromotionDecision {
  mode: Mode;
  report: PrecisionReport;
  event?: PromotionEvent;
}

/**
 * Decides the mode of `faultClass` on `pipeline` given its current mode and shadow records.
 * A fault class pinned by `modeOverrides` and pipelines with promotion disabled never move.
 */
export function evaluatePromotion(args: {
  pipeline: PipelinePolicy;
  faultClass: FaultClass;
  current: Mode;
  records: readonly ShadowRecord[];
  now: number;
}): PromotionDecision {
  const { pipeline, faultClass, current, now } = args;
  const settings = pipeline.promotion;
  const records = args.records.filter((r) => r.pipeline === pipeline.name && r.faultClass === faultClass);
  const report = shadowPrecision(records, settings.window);
  if (!settings.enabled || pipeline.modeOverrides[faultClass] !== undefined || report.cases < settings.minCases) {
    return { mode: current, report };
  }
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const base = { pipeline: pipeline.name, faultClass, precision: report.precision, cases: report.cases, at: now };
  if (current === 'shadow' && report.precision >= settings.precisionBar) {
    return {
      mode: 'active',
      report,
      event: {
        ...base,
        kind: 'promote',
        from: 'shadow',
        to: 'active',
        bar: settings.precisionBar,
        reason: `shadow precision ${pct(report.precision)} over ${report.cases} cases ≥ ${pct(settings.precisionBar)}`,
      },
    };
  }
  const demoteBelow = settings.demotionBar ?? settings.precisionBar;
  if (current === 'active' && report.precision < demoteBelow) {
    return {
      mode: 'shadow',
      report,
      event: {
        ...base,
        kind: 'demote',
        from: 'active',
        to: 'shadow',
        bar: demoteBelow,
        reason: `precision ${pct(report.precision)} over ${report.cases} cases fell below ${pct(demoteBelow)}`,
      },
    };
  }
  return { mode: current, report };
}
