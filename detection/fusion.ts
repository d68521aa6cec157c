/**
 * Fusion: turns the standardised scores of a component's detectors into one health figure.
 *
 * For detector i at observation t with standardised anomaly score a_{t,i} in [0, 1] and weight w_i
 * (weights normalised so that Σ w_i = 1):
 *
 *   s_t = Σ_i w_i · a_{t,i}                 weighted anomaly sum, in [0, 1]
 *   H_t = α · s_t + (1 − α) · H_{t−1}       EWMA anomaly level, in [0, 1], H_0 = 0
 *
 * H_t is an *anomaly level* (0 = healthy, 1 = every detector at full alarm). The paper calls it the
 * "health index"; because a health index that rises when things get worse reads backwards on a
 * dashboard, `healthIndex = 1 − H_t` is exposed too. Thresholds (`open`, `close`) are on H_t.
 *
 * The same EWMA runs per layer (infrastructure, data, model) over the weighted mean of that layer's
 * detectors, giving the vector h_t that diagnosis uses to pick a layer.
 *
 * Hysteresis: the component is *open* (an incident should exist) from the observation where H_t
 * reaches `open` until the first observation where H_t falls below `close` (< open), so a level
 * hovering around one threshold does not flap.
 *
 * A detector's score keeps its last value between the observations of its signal: a component with
 * a latency and an error-rate signal is scored on the latest of both.
 *
 * Fast path: `observe` allocates nothing; it returns one result object that is overwritten by the
 * next call (copy it if you keep it).
 *
 * Example (runnable; deterministic):
 *   const h = new ComponentHealth({ alpha: 0.5, open: 0.6, close: 0.3, detectors: [
 *     { name: 'lat', signal: 'latency', layer: 'infrastructure' },   // score-only input
 *   ]});
 *   h.observeScore('lat', 1).health   // 0.5, not open yet
 *   h.observeScore('lat', 1)          // { health: 0.75, opened: true, isOpen: true, vector.infrastructure: 0.75 }
 *   h.observeScore('lat', 0).health   // 0.375 — still open (above close = 0.3)
 *   h.observeScore('lat', 0)          // { health: 0.1875, closed: true }
 */
import { z } from 'zod';
import { HomeostatError } from '../common/errors';
import { formatZodIssues } from '../common/zod-errors';
import { LAYERS, type Layer } from '../policies/taxonomy';
import { type DetectorSnapshot } from './detector';
import { restoreDetector as restoreFromRegistry } from './registry';

/**
 * What fusion needs from a detector. Every streaming detector of `detection/` satisfies it
 * structurally; batch checks (window tests, quality checks) enter through `observeScore` instead.
 */
export interface FusableDetector {
  update(x: number): unknown;
  /** Standardised anomaly score after the last update, in [0, 1]. */
  readonly score: number;
  /** Needed only for `input: 'drift'`. */
  readonly driftDetected?: boolean;
  snapshot?(): unknown;
}

export interface FusionDetectorSpec {
  /** Unique within the component; used in evidence, weights and snapshots. */
  name: string;
  /** Signal whose values feed this detector (several detectors may share one signal). */
  signal: string;
  layer: Layer;
  /** Relative importance; normalised with the others. Default 1. */
  weight?: number;
  /** Omit for a score-only input fed by `observeScore` (window tests, quality checks, SLO probes). */
  detector?: FusableDetector;
  /**
   * What a_{t,i} is: the detector's continuous `score` (default), or its vote — 1 on the update
   * that completed a detection, else 0. Votes suit detectors whose score idles well above 0 on
   * healthy data (a CUSUM sum, an EWMA deviation): the EWMA then counts recent detections, and an
   * `open` between one and two votes' worth makes the component open only when detectors agree.
   */
  input?: 'score' | 'drift';
}

export interface ComponentHealthOptions {
  detectors: readonly FusionDetectorSpec[];
  /** EWMA responsiveness, 0 < alpha ≤ 1. Default 0.3. */
  alpha?: number;
  /** H_t at or above which the component opens. Default 0.5. */
  open?: number;
  /** H_t below which an open component closes; must be < open. Default 0.25. */
  close?: number;
  /** Multiplicative-weights learning rate used by `updateWeights`, in (0, 1). Default 0.2. */
  learningRate?: number;
  /** No normalised weight falls below this, so a detector can always earn its way back. Default 0.01. */
  minWeight?: number;
  /** Peak score at or above which a detector counts as having fired during an incident. Default 0.5. */
  fireLevel?: number;
  /**
   * Observations during which the component never opens (detectors are still learning their
   * reference; their early alarms are mostly about the warm-up, not the pipeline). Default 0.
   */
  warmup?: number;
}

export type LayerVector = Record<Layer, number>;

/** One result object per ComponentHealth, overwritten by every observe call. */
export interface HealthResult {
  /** H_t, the EWMA anomaly level in [0, 1]. */
  health: number;
  /** 1 − H_t: 1 is perfectly healthy. */
  healthIndex: number;
  /** s_t, the weighted anomaly sum of this observation before smoothing. */
  instant: number;
  /** True on the observation that opened the component. */
  opened: boolean;
  /** True on the observation that closed the component. */
  closed: boolean;
  /** Whether the component is open after this observation. */
  isOpen: boolean;
  /** Per-layer EWMA anomaly levels. */
  vector: LayerVector;
  /** Observation time passed by the caller (or the observation count when omitted). */
  t: number;
}

/** What the learn stage reports about one incident. */
export interface WeightOutcome {
  /** Whether the incident was real (verified fault) or a false alarm. */
  truePositive: boolean;
  /** Detectors that fired for it; by default those whose peak score since the last open reached fireLevel. */
  fired?: readonly string[];
}

export const FUSION_SNAPSHOT_TYPE = 'homeostat.fusion.component-health';
export const FUSION_SNAPSHOT_VERSION = 1;

const layerSchema = z.enum(LAYERS);
const snapshotSchema = z.object({
  type: z.literal(FUSION_SNAPSHOT_TYPE),
  version: z.literal(FUSION_SNAPSHOT_VERSION),
  options: z.object({
    alpha: z.number(),
    open: z.number(),
    close: z.number(),
    learningRate: z.number(),
    minWeight: z.number(),
    fireLevel: z.number(),
    warmup: z.number().optional(),
  }),
  detectors: z.array(
    z.object({
      name: z.string(),
      signal: z.string(),
      layer: layerSchema,
      weight: z.number(),
      input: z.enum(['score', 'drift']).optional(),
      score: z.number(),
      peak: z.number(),
      detector: z.unknown().optional(),
    }),
  ),
  health: z.number(),
  layerHealth: z.array(z.number()).length(LAYERS.length),
  isOpen: z.boolean(),
  count: z.number(),
  openedAt: z.number().nullable(),
});
export type ComponentHealthSnapshot = z.infer<typeof snapshotSchema>;

function invalid(message: string): HomeostatError {
  return new HomeostatError('HS_INVALID_INPUT', message);
}

function checkRange(name: string, v: number, lo: number, hi: number, loOpen: boolean, hiOpen: boolean): void {
  const ok = Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) {
    throw invalid(`fusion: ${name} must be in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${v}`);
  }
}

export class ComponentHealth {
  readonly alpha: number;
  readonly open: number;
  readonly close: number;
  readonly learningRate: number;
  readonly minWeight: number;
  readonly fireLevel: number;
  readonly warmup: number;

  // Parallel arrays keep the per-record path free of object lookups and allocations.
  private readonly names: string[];
  private readonly signals: string[];
  private readonly layers: Layer[];
  private readonly layerIdx: Uint8Array;
  private readonly detectors: (FusableDetector | undefined)[];
  private readonly votes: Uint8Array;
  private readonly weights: Float64Array;
  private readonly scores: Float64Array;
  private readonly peaks: Float64Array;
  private readonly layerWeight: Float64Array;
  private readonly bySignal = new Map<string, Int32Array>();
  private readonly byName = new Map<string, number>();

  private h = 0;
  private readonly layerH: Float64Array;
  private openState = false;
  private count = 0;
  private openedAtT: number | null = null;
  private readonly result: HealthResult;

  constructor(options: ComponentHealthOptions) {
    const alpha = options.alpha ?? 0.3;
    const open = options.open ?? 0.5;
    const close = options.close ?? 0.25;
    const learningRate = options.learningRate ?? 0.2;
    const minWeight = options.minWeight ?? 0.01;
    const fireLevel = options.fireLevel ?? 0.5;
    checkRange('alpha', alpha, 0, 1, true, false);
    checkRange('open', open, 0, 1, true, false);
    checkRange('close', close, 0, open, false, true);
    checkRange('learningRate', learningRate, 0, 1, true, true);
    checkRange('fireLevel', fireLevel, 0, 1, true, false);
    const warmup = options.warmup ?? 0;
    if (!(Number.isInteger(warmup) && warmup >= 0)) throw invalid(`fusion: warmup must be an integer ≥ 0, got ${warmup}`);
    this.warmup = warmup;
    if (options.detectors.length === 0) throw invalid('fusion: at least one detector is required');
    checkRange('minWeight', minWeight, 0, 1 / options.detectors.length, false, false);
    this.alpha = alpha;
    this.open = open;
    this.close = close;
    this.learningRate = learningRate;
    this.minWeight = minWeight;
    this.fireLevel = fireLevel;

    const m = options.detectors.length;
    this.names = [];
    this.signals = [];
    this.layers = [];
    this.detectors = [];
    this.layerIdx = new Uint8Array(m);
    this.votes = new Uint8Array(m);
    this.weights = new Float64Array(m);
    this.scores = new Float64Array(m);
    this.peaks = new Float64Array(m);
    this.layerWeight = new Float64Array(LAYERS.length);
    this.layerH = new Float64Array(LAYERS.length);
    const signalLists = new Map<string, number[]>();
    options.detectors.forEach((spec, i) => {
      if (this.byName.has(spec.name)) throw invalid(`fusion: detector name "${spec.name}" is used twice`);
      const li = LAYERS.indexOf(spec.layer);
      if (li < 0) throw invalid(`fusion: detector "${spec.name}" has layer "${String(spec.layer)}"; valid: ${LAYERS.join(', ')}`);
      const w = spec.weight ?? 1;
      if (!Number.isFinite(w) || w < 0) throw invalid(`fusion: detector "${spec.name}" weight must be a finite number ≥ 0, got ${w}`);
      this.byName.set(spec.name, i);
      this.names.push(spec.name);
      this.signals.push(spec.signal);
      this.layers.push(spec.layer);
      this.detectors.push(spec.detector);
      this.layerIdx[i] = li;
      this.weights[i] = w;
      const input = spec.input ?? 'score';
      if (input !== 'score' && input !== 'drift') throw invalid(`fusion: detector "${spec.name}" input must be score or drift, got ${String(input)}`);
      if (input === 'drift' && spec.detector && typeof spec.detector.driftDetected !== 'boolean') {
        throw invalid(`fusion: detector "${spec.name}" has input "drift" but no driftDetected flag`);
      }
      this.votes[i] = input === 'drift' ? 1 : 0;
      if (spec.detector) {
        const list = signalLists.get(spec.signal) ?? [];
        list.push(i);
        signalLists.set(spec.signal, list);
      }
    });
    for (const [signal, list] of signalLists) this.bySignal.set(signal, Int32Array.from(list));
    this.normaliseWeights();
    this.result = {
      health: 0,
      healthIndex: 1,
      instant: 0,
      opened: false,
      closed: false,
      isOpen: false,
      vector: { infrastructure: 0, data: 0, model: 0 },
      t: 0,
    };
  }

  /** Signals that have at least one streaming detector attached. */
  get signalNames(): string[] {
    return [...this.bySignal.keys()];
  }

  /**
   * Feeds one value of `signal` to every detector attached to it, then fuses.
   * Unknown signals are an error: a typo would otherwise silently never alarm.
   */
  observe(signal: string, x: number, t?: number): HealthResult {
    const idx = this.bySignal.get(signal);
    if (idx === undefined) {
      throw invalid(`fusion: no detector listens to signal "${signal}"; known: ${[...this.bySignal.keys()].join(', ')}`);
    }
    return this.observeIndices(idx, x, t);
  }

  /**
   * Handle for the hottest path: resolve the signal once, then call `observeHandle(handle, x)`
   * per record, skipping the map lookup.
   */
  signalHandle(signal: string): Int32Array {
    const idx = this.bySignal.get(signal);
    if (idx === undefined) throw invalid(`fusion: no detector listens to signal "${signal}"`);
    return idx;
  }

  observeHandle(handle: Int32Array, x: number, t?: number): HealthResult {
    return this.observeIndices(handle, x, t);
  }

  /** Sets the score of a score-only input (or overrides a detector's) and fuses. */
  observeScore(name: string, score: number, t?: number): HealthResult {
    const i = this.byName.get(name);
    if (i === undefined) throw invalid(`fusion: no detector named "${name}"; known: ${this.names.join(', ')}`);
    if (!(score >= 0 && score <= 1)) throw invalid(`fusion: score for "${name}" must be in [0, 1], got ${score}`);
    this.setScore(i, score);
    return this.fuse(t);
  }

  private observeIndices(idx: Int32Array, x: number, t?: number): HealthResult {
    if (!Number.isFinite(x)) throw invalid(`fusion: value must be a finite number, got ${x}`);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      const det = this.detectors[i] as FusableDetector;
      det.update(x);
      this.setScore(i, this.votes[i] === 1 ? (det.driftDetected ? 1 : 0) : det.score);
    }
    return this.fuse(t);
  }

  private setScore(i: number, a: number): void {
    // Clamp defensively: one misbehaving detector must not push H outside [0, 1].
    const v = a > 1 ? 1 : a > 0 ? a : 0;
    this.scores[i] = v;
    if (v > this.peaks[i]) this.peaks[i] = v;
  }

  private fuse(t: number | undefined): HealthResult {
    const m = this.scores.length;
    const w = this.weights;
    const a = this.scores;
    let s = 0;
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    for (let i = 0; i < m; i++) {
      const c = w[i] * a[i];
      s += c;
      const li = this.layerIdx[i];
      if (li === 0) l0 += c;
      else if (li === 1) l1 += c;
      else l2 += c;
    }
    const alpha = this.alpha;
    const beta = 1 - alpha;
    const h = alpha * s + beta * this.h;
    this.h = h;
    const lw = this.layerWeight;
    const lh = this.layerH;
    lh[0] = alpha * (lw[0] > 0 ? l0 / lw[0] : 0) + beta * lh[0];
    lh[1] = alpha * (lw[1] > 0 ? l1 / lw[1] : 0) + beta * lh[1];
    lh[2] = alpha * (lw[2] > 0 ? l2 / lw[2] : 0) + beta * lh[2];
    this.count++;
    const time = t ?? this.count;

    const r = this.result;
    r.opened = false;
    r.closed = false;
    if (!this.openState && h >= this.open && this.count > this.warmup) {
      this.openState = true;
      r.opened = true;
      this.openedAtT = time;
      // Peaks are measured per incident: they say which detectors fired for this one.
      this.peaks.set(a);
    } else if (this.openState && h < this.close) {
      this.openState = false;
      r.closed = true;
    }
    r.health = h;
    r.healthIndex = 1 - h;
    r.instant = s;
    r.isOpen = this.openState;
    r.vector.infrastructure = lh[0];
    r.vector.data = lh[1];
    r.vector.model = lh[2];
    r.t = time;
    return r;
  }

  get health(): number {
    return this.h;
  }

  get healthIndex(): number {
    return 1 - this.h;
  }

  get isOpen(): boolean {
    return this.openState;
  }

  get openedAt(): number | null {
    return this.openedAtT;
  }

  /** Layer vector as a fresh object (safe to keep). */
  vector(): LayerVector {
    return { infrastructure: this.layerH[0], data: this.layerH[1], model: this.layerH[2] };
  }

  /** Current normalised weights by detector name. */
  weightsByName(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((n, i) => (out[n] = this.weights[i]));
    return out;
  }

  /** Last score of every detector, for evidence. */
  scoresByName(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((n, i) => (out[n] = this.scores[i]));
    return out;
  }

  /** Detectors ranked by their weighted contribution w_i·a_i to s_t, largest first: the "why" of an alarm. */
  contributions(): { name: string; signal: string; layer: Layer; score: number; weight: number; contribution: number }[] {
    return this.names
      .map((name, i) => ({
        name,
        signal: this.signals[i],
        layer: this.layers[i],
        score: this.scores[i],
        weight: this.weights[i],
        contribution: this.weights[i] * this.scores[i],
      }))
      .sort((x, y) => y.contribution - x.contribution);
  }

  /** Detectors whose peak score since the last open reached `fireLevel`. */
  firedSinceOpen(): string[] {
    return this.names.filter((_, i) => this.peaks[i] >= this.fireLevel);
  }

  /**
   * Learn stage: multiplicative weights. Detectors that fired for a true incident gain a factor
   * (1 + η); those that fired for a false alarm lose a factor (1 − η); silent detectors keep their
   * weight (they had no say). Weights are then renormalised and floored at `minWeight`, so a
   * detector that was wrong for a while can still earn its weight back. Returns the new weights.
   */
  updateWeights(outcome: WeightOutcome): Record<string, number> {
    const fired = outcome.fired ?? this.firedSinceOpen();
    const factor = outcome.truePositive ? 1 + this.learningRate : 1 - this.learningRate;
    for (const name of fired) {
      const i = this.byName.get(name);
      if (i === undefined) throw invalid(`fusion: updateWeights names unknown detector "${name}"; known: ${this.names.join(', ')}`);
      this.weights[i] *= factor;
    }
    this.normaliseWeights();
    return this.weightsByName();
  }

  private normaliseWeights(): void {
    const m = this.weights.length;
    let total = 0;
    for (let i = 0; i < m; i++) total += this.weights[i];
    if (!(total > 0)) throw invalid('fusion: at least one detector must have a positive weight');
    for (let i = 0; i < m; i++) this.weights[i] /= total;
    // Floor, then renormalise the rest so the sum stays exactly 1.
    if (this.minWeight > 0) {
      let floored = 0;
      let free = 0;
      for (let i = 0; i < m; i++) {
        if (this.weights[i] < this.minWeight) floored++;
        else free += this.weights[i];
      }
      if (floored > 0) {
        const scale = (1 - floored * this.minWeight) / free;
        for (let i = 0; i < m; i++) {
          this.weights[i] = this.weights[i] < this.minWeight ? this.minWeight : this.weights[i] * scale;
        }
      }
    }
    this.layerWeight.fill(0);
    for (let i = 0; i < m; i++) this.layerWeight[this.layerIdx[i]] += this.weights[i];
  }

  /** Full state as plain JSON. Streaming detectors must implement `snapshot()` for this to succeed. */
  snapshot(): ComponentHealthSnapshot {
    return {
      type: FUSION_SNAPSHOT_TYPE,
      version: FUSION_SNAPSHOT_VERSION,
      options: {
        alpha: this.alpha,
        open: this.open,
        close: this.close,
        learningRate: this.learningRate,
        minWeight: this.minWeight,
        fireLevel: this.fireLevel,
        warmup: this.warmup,
      },
      detectors: this.names.map((name, i) => {
        const det = this.detectors[i];
        if (det && typeof det.snapshot !== 'function') {
          throw new HomeostatError('HS_INTERNAL', `fusion: detector "${name}" cannot be snapshotted (no snapshot())`);
        }
        return {
          name,
          signal: this.signals[i],
          layer: this.layers[i],
          weight: this.weights[i],
          input: this.votes[i] === 1 ? ('drift' as const) : ('score' as const),
          score: this.scores[i],
          peak: this.peaks[i],
          ...(det?.snapshot ? { detector: det.snapshot() } : {}),
        };
      }),
      health: this.h,
      layerHealth: Array.from(this.layerH),
      isOpen: this.openState,
      count: this.count,
      openedAt: this.openedAtT,
    };
  }

  /**
   * Rebuilds a component from `snapshot()`. Each detector snapshot is turned back into a detector by
   * `restoreDetector` — by default the registry's, which knows every streaming detector; pass your
   * own for detectors outside the registry. A foreign or newer snapshot is HS_SNAPSHOT_MISMATCH.
   */
  static restore(snapshot: unknown, restoreDetector: (s: DetectorSnapshot) => FusableDetector = restoreFromRegistry): ComponentHealth {
    const head = z.object({ type: z.string(), version: z.number() }).safeParse(snapshot);
    if (head.success && (head.data.type !== FUSION_SNAPSHOT_TYPE || head.data.version !== FUSION_SNAPSHOT_VERSION)) {
      throw new HomeostatError(
        'HS_SNAPSHOT_MISMATCH',
        `fusion: snapshot is ${head.data.type} v${head.data.version}, expected ${FUSION_SNAPSHOT_TYPE} v${FUSION_SNAPSHOT_VERSION}`,
      );
    }
    const parsed = snapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      throw invalid(`fusion: invalid snapshot: ${formatZodIssues(parsed.error).join('; ')}`);
    }
    const s = parsed.data;
    const ch = new ComponentHealth({
      ...s.options,
      detectors: s.detectors.map((d) => ({
        name: d.name,
        signal: d.signal,
        layer: d.layer,
        weight: d.weight,
        input: d.input,
        detector: d.detector === undefined ? undefined : restoreDetector(d.detector as DetectorSnapshot),
      })),
    });
    // Weights were stored normalised; copy them verbatim so a restore is bit-exact.
    s.detectors.forEach((d, i) => {
      ch.weights[i] = d.weight;
      ch.scores[i] = d.score;
      ch.peaks[i] = d.peak;
    });
    ch.layerWeight.fill(0);
    for (let i = 0; i < s.detectors.length; i++) ch.layerWeight[ch.layerIdx[i]] += ch.weights[i];
    ch.h = s.health;
    ch.layerH.set(s.layerHealth);
    ch.openState = s.isOpen;
    ch.count = s.count;
    ch.openedAtT = s.openedAt;
    return ch;
  }
}

/**
 * Wraps a detector so that its fused score is a *latched vote*: 1 for `hold` updates after each
 * detection, 0 otherwise. With every detector latched, s_t is the weighted share of detectors that
 * fired within the last `hold` updates, so `open` set between one and two detectors' weight means
 * "at least two detectors agree within `hold` updates" — k-of-m voting, which removes most of the
 * false alarms any single detector makes. `driftDetected` and `snapshot` pass through.
 */
export class LatchedVote implements FusableDetector {
  private left = 0;

  constructor(
    readonly inner: FusableDetector & { readonly driftDetected: boolean },
    readonly hold: number,
  ) {
    if (!(Number.isInteger(hold) && hold >= 1)) throw invalid(`fusion: hold must be an integer ≥ 1, got ${hold}`);
  }

  update(x: number): this {
    this.inner.update(x);
    if (this.inner.driftDetected) this.left = this.hold;
    else if (this.left > 0) this.left--;
    return this;
  }

  get score(): number {
    return this.left > 0 ? 1 : 0;
  }

  get driftDetected(): boolean {
    return this.inner.driftDetected;
  }
}
