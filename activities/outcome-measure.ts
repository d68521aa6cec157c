/**
 * What each attempted action of a closed incident measurably did, for the outcome samples the
 * planner learns from (policies/outcomes.ts). Pure: the learn activity reads the facts and hands
 * them in. Where each figure comes from:
 *   - the attempt's window: its execute actuation in the knowledge base's actuator log (recorded
 *     when the repair started, completed when it ended: `duration`), then its verification
 *     (`verifyMs` from the workflow's attempt record; else until the next attempt or the close);
 *   - health before / during / after: health readings (1 − H_t) from the incident's evidence —
 *     the sentinel attaches H_t to every evidence it sends — and from the worker's telemetry
 *     reader when it has one;
 *   - SLO time lost, and how far latency and loss rose over their level when the repair began:
 *     latency, quality and loss readings from that telemetry reader only; without readings in
 *     the window the figure is left unmeasured, never guessed.
 */
import type { Actuation } from '../knowledge/types';
import type { OutcomeSampleInput } from '../policies/outcomes';
import type { RepairAction, Verdict } from '../policies/taxonomy';
import type { Evidence } from '../workflows/shared';
import { z } from 'zod';

/** One telemetry reading of a component; figures not measured are absent. */
export interface TelemetryReading {
  /** Epoch ms. */
  at: number;
  /** 1 − H_t: 1 healthy … 0 every detector alarming. */
  healthIndex?: number;
  /** End-to-end latency (ms). */
  latencyMs?: number;
  /** Quality in [0, 1] (accuracy, valid-record ratio…), judged against θ. */
  quality?: number;
  /** Fraction of records lost in [0, 1], judged against η. */
  loss?: number;
}

const readingSchema = z.object({
  at: z.number().finite(),
  healthIndex: z.number().min(0).max(1).optional(),
  latencyMs: z.number().min(0).optional(),
  quality: z.number().min(0).max(1).optional(),
  loss: z.number().min(0).max(1).optional(),
});

/**
 * Telemetry readings from a reader outside the worker's control (the sentinel's trail, a test's
 * stand-in), validated; undefined when any reading is malformed. Absent figures stay absent keys.
 */
export function parseTelemetryReadings(raw: unknown): TelemetryReading[] | undefined {
  const parsed = z.array(readingSchema).safeParse(raw);
  if (!parsed.success) return undefined;
  return parsed.data.map((r) => ({
    at: r.at,
    ...(r.healthIndex !== undefined ? { healthIndex: r.healthIndex } : {}),
    ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}),
    ...(r.quality !== undefined ? { quality: r.quality } : {}),
    ...(r.loss !== undefined ? { loss: r.loss } : {}),
  }));
}

export interface MeasuredAttempt {
  action: RepairAction;
  verdict: Verdict;
  verifyMs?: number;
}

/** Which incident and signature the samples are of, as they are stored. */
export interface MeasureInput extends Pick<OutcomeSampleInput, 'incidentId' | 'runId' | 'pipeline' | 'component' | 'faultClass' | 'layer'> {
  /** The attempts that ran and were verified, in order. */
  attempts: readonly MeasuredAttempt[];
  /** The incident's execute actuations (any order). */
  actuations: readonly Actuation[];
  evidence: readonly Evidence[];
  telemetry: readonly TelemetryReading[];
  slo: { latencyMs: number; qualityFloor: number; maxLoss: number };
  openedAt: number;
  closedAt: number;
}

/** The attempt number an execute key ends with (`…:execute:<action>:<attempt>`). */
function attemptOfKey(key: string): number | undefined {
  const n = Number(key.slice(key.lastIndexOf(':') + 1));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The execute actuations of this incident run, oldest first. */
function executions(m: MeasureInput): Actuation[] {
  const prefix = m.runId ? `${m.incidentId}@${m.runId}:execute:` : undefined;
  return m.actuations
    .filter((a) => a.step === 'execute' && (prefix ? a.idempotencyKey.startsWith(prefix) : a.recordedAt >= m.openedAt))
    .sort((a, b) => a.recordedAt - b.recordedAt);
}

/** Time (ms) in [from, to] during which `bad` held, each reading standing until the next one. */
export function timeWhere(readings: readonly { at: number; v: number }[], from: number, to: number, bad: (v: number) => boolean): number | undefined {
  const sorted = [...readings].sort((a, b) => a.at - b.at);
  // The reading in force at `from` is the last one before it.
  const before = sorted.filter((r) => r.at <= from).length;
  const inWindow = sorted.slice(Math.max(0, before - 1)).filter((r) => r.at <= to);
  if (inWindow.length === 0 || to <= from) return undefined;
  let total = 0;
  inWindow.forEach((r, i) => {
    const a = Math.max(from, r.at);
    const b = Math.min(to, inWindow[i + 1]?.at ?? to);
    if (b > a && bad(r.v)) total += b - a;
  });
  return total;
}

const series = (t: readonly TelemetryReading[], k: 'healthIndex' | 'latencyMs' | 'quality' | 'loss') =>
  t.flatMap((r) => (r[k] === undefined ? [] : [{ at: r.at, v: r[k] as number }]));

/** One sample per attempt; a figure nothing measured is absent. */
export function measureOutcomes(m: MeasureInput): OutcomeSampleInput[] {
  const runs = executions(m);
  const seen = new Map<RepairAction, number>();
  const health = [
    ...m.evidence.flatMap((e) => (e.health === undefined ? [] : [{ at: Date.parse(e.at), v: 1 - e.health }])),
    ...series(m.telemetry, 'healthIndex'),
  ].filter((r) => Number.isFinite(r.at));
  const latency = series(m.telemetry, 'latencyMs');
  const quality = series(m.telemetry, 'quality');
  const loss = series(m.telemetry, 'loss');
  const windows = m.attempts.map((a) => {
    const nth = seen.get(a.action) ?? 0;
    seen.set(a.action, nth + 1);
    return runs.filter((r) => r.action === a.action)[nth];
  });
  return m.attempts.map((a, i) => {
    const run = windows[i];
    const start = run?.recordedAt;
    const end = run?.completedAt;
    const nextStart = windows.slice(i + 1).find((w) => w !== undefined)?.recordedAt;
    const verifiedBy = end === undefined ? undefined : a.verifyMs !== undefined ? end + a.verifyMs : (nextStart ?? m.closedAt);
    const before = start === undefined ? undefined : health.filter((h) => h.at <= start).sort((x, y) => x.at - y.at).at(-1)?.v;
    const during = start === undefined || end === undefined ? [] : health.filter((h) => h.at >= start && h.at <= end).map((h) => h.v);
    // The last reading up to the verdict; when the verification was quicker than the readings
    // (a second apart), the first one after it — before any later attempt began.
    const after =
      end === undefined || verifiedBy === undefined
        ? undefined
        : (health.filter((h) => h.at > end && h.at <= verifiedBy).sort((x, y) => x.at - y.at).at(-1)?.v ??
          health.filter((h) => h.at > verifiedBy && (nextStart === undefined || h.at < nextStart)).sort((x, y) => x.at - y.at)[0]?.v);
    const from = start;
    const to = verifiedBy;
    const slo = (xs: { at: number; v: number }[], bad: (v: number) => boolean) => (from === undefined || to === undefined ? undefined : timeWhere(xs, from, to, bad));
    // What the repair added: the highest reading in the window over the level when it opened
    // (the reading in force then, else the window's first). The fault's own damage before the
    // repair is not the repair's cost.
    const rise = (xs: { at: number; v: number }[]) => {
      if (from === undefined || to === undefined) return undefined;
      const inForce = xs.filter((x) => x.at <= from).sort((a, b) => a.at - b.at).at(-1);
      const inside = xs.filter((x) => x.at > from && x.at <= to).sort((a, b) => a.at - b.at);
      const baseline = inForce ?? inside[0];
      if (baseline === undefined) return undefined;
      return Math.max(0, ...inside.map((x) => x.v - baseline.v));
    };
    const figures = {
      durationMs: start !== undefined && end !== undefined ? Math.max(0, end - start) : undefined,
      healthBefore: before,
      healthDuring: during.length > 0 ? Math.min(...during) : undefined,
      healthAfter: after,
      sloLatencyMs: slo(latency, (v) => v > m.slo.latencyMs),
      sloQualityMs: slo(quality, (v) => v < m.slo.qualityFloor),
      sloLossMs: slo(loss, (v) => v > m.slo.maxLoss),
      latencyAddedMs: rise(latency),
      lossAdded: rise(loss),
    };
    const measured = Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)) as Partial<typeof figures>;
    return {
      incidentId: m.incidentId,
      ...(m.runId ? { runId: m.runId } : {}),
      pipeline: m.pipeline,
      component: m.component,
      faultClass: m.faultClass,
      ...(m.layer ? { layer: m.layer } : {}),
      action: a.action,
      attempt: (run ? attemptOfKey(run.idempotencyKey) : undefined) ?? i + 1,
      ...(measured as Omit<OutcomeSampleInput, 'incidentId' | 'pipeline' | 'component' | 'faultClass' | 'action' | 'attempt' | 'verdict' | 'at'>),
      verdict: a.verdict,
      at: end ?? m.closedAt,
    };
  });
}
