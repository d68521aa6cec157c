/**
 * Calibration: from a healthy reference window, choose each detector's sensitivity setting so
 * that replaying healthy data gives a mean time between false alarms (MTBFA, in samples) of at
 * least the target — and report what was chosen and what it achieved.
 *
 * Method. The reference window is replayed — as is, or as a moving-block bootstrap (blocks keep
 * the short-range autocorrelation that i.i.d. resampling would destroy) — until at least
 * `replayFactor × target` samples have gone through a fresh detector per replicate. Every
 * detection on healthy data is a false alarm, so MTBFA = samples / alarms (∞ with none). The
 * setting is then searched by bisection between the most and least sensitive ends of its range
 * (geometrically for settings that are probabilities, like ADWIN's δ), keeping the most sensitive
 * value that still meets the target. The same resampled replay is used for every candidate
 * (common random numbers), so the comparison between candidates is not blurred by resampling
 * noise and the search sees a near-monotone curve.
 *
 * Example: calibrate(healthyLatencies, [{ detector: 'page-hinkley' }], { targetMtbfa: 10_000 })
 * → [{ detector: 'page-hinkley', param: 'threshold', value: 37.2, mtbfa: Infinity, met: true, … }]
 */
import { HomeostatError } from '../common/errors';
import { type DetectorName, type StreamingDetector } from './detector';
import { createDetector } from './registry';

/** Which setting controls false alarms, which way is "less sensitive", and the search range. */
export interface SensitivityKnob {
  param: string;
  /** 'up': larger values alarm less (thresholds). 'down': smaller values alarm less (δ, confidences). */
  lessSensitive: 'up' | 'down';
  range: [number, number];
  /** Search geometrically (for probabilities spanning decades). */
  log: boolean;
}

export const DEFAULT_KNOBS: Record<DetectorName, SensitivityKnob> = {
  adwin: { param: 'delta', lessSensitive: 'down', range: [1e-12, 0.5], log: true },
  'page-hinkley': { param: 'threshold', lessSensitive: 'up', range: [0.1, 10_000], log: true },
  cusum: { param: 'threshold', lessSensitive: 'up', range: [0.5, 100], log: true },
  ddm: { param: 'driftThreshold', lessSensitive: 'up', range: [2, 20], log: false },
  eddm: { param: 'beta', lessSensitive: 'down', range: [0.05, 0.95], log: false },
  'hddm-a': { param: 'driftConfidence', lessSensitive: 'down', range: [1e-12, 0.2], log: true },
  'hddm-w': { param: 'driftConfidence', lessSensitive: 'down', range: [1e-12, 0.2], log: true },
  ewma: { param: 'threshold', lessSensitive: 'up', range: [0.5, 50], log: true },
  kswin: { param: 'alpha', lessSensitive: 'down', range: [1e-12, 0.5], log: true },
  fhddm: { param: 'confidenceLevel', lessSensitive: 'down', range: [1e-15, 0.5], log: true },
  'bernoulli-cusum': { param: 'threshold', lessSensitive: 'up', range: [0.5, 50], log: true },
};

export interface CalibrationSpec {
  /** A registry detector … */
  detector: DetectorName | string;
  /** … with these fixed settings (the calibrated one is overridden). */
  params?: Record<string, unknown>;
  /** Overrides the default knob of a registry detector, or describes the knob of a custom one. */
  knob?: SensitivityKnob;
  /** For detectors outside the registry: build one with the knob set to `value`. */
  create?: (value: number) => StreamingDetector;
}

export interface CalibrationOptions {
  /** Target mean time between false alarms, in samples. */
  targetMtbfa: number;
  /** Moving-block bootstrap of the reference (default true); false replays it verbatim, repeatedly. */
  bootstrap?: boolean;
  /** Block length of the bootstrap; default min(50, ⌈n/10⌉). */
  blockSize?: number;
  seed?: number;
  /** Samples replayed per candidate, as a multiple of the target. Default 3. */
  replayFactor?: number;
  /** Bisection steps. Default 30. */
  iterations?: number;
}

export interface CalibrationChoice {
  detector: string;
  param: string;
  /** The chosen value of the knob. */
  value: number;
  falseAlarms: number;
  samplesReplayed: number;
  /** samplesReplayed / falseAlarms (Infinity with no false alarm). */
  mtbfa: number;
  /** Whether the target was met; false means even the least sensitive end of the range alarms too often. */
  met: boolean;
  /** What the detector's own default setting gives on the same replay, for comparison. */
  defaultMtbfa: number;
}

export interface CalibrationReport {
  targetMtbfa: number;
  referenceLength: number;
  replicates: number;
  choices: CalibrationChoice[];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Replicates of the reference: verbatim copies, or moving-block bootstrap resamples. */
export function replayReplicates(reference: Float64Array, count: number, bootstrap: boolean, blockSize: number, seed: number): Float64Array[] {
  const n = reference.length;
  if (!bootstrap) return Array.from({ length: count }, () => reference);
  const rnd = mulberry32(seed);
  const b = Math.max(1, Math.min(blockSize, n));
  return Array.from({ length: count }, () => {
    const out = new Float64Array(n);
    for (let at = 0; at < n; at += b) {
      const start = Math.floor(rnd() * (n - b + 1));
      out.set(reference.subarray(start, start + Math.min(b, n - at)), at);
    }
    return out;
  });
}

function countAlarms(make: () => StreamingDetector, replicates: Float64Array[]): { alarms: number; samples: number } {
  let alarms = 0;
  let samples = 0;
  for (const rep of replicates) {
    const d = make();
    for (let i = 0; i < rep.length; i++) {
      d.update(rep[i]);
      if (d.driftDetected) alarms++;
    }
    samples += rep.length;
  }
  return { alarms, samples };
}

export function calibrate(reference: ArrayLike<number>, specs: readonly CalibrationSpec[], options: CalibrationOptions): CalibrationReport {
  const target = options.targetMtbfa;
  if (!(Number.isFinite(target) && target > 0)) throw new HomeostatError('HS_INVALID_INPUT', `calibration: targetMtbfa must be a finite number > 0, got ${target}`);
  if (reference.length < 2) throw new HomeostatError('HS_INVALID_INPUT', 'calibration: the reference window needs at least 2 samples');
  const ref = new Float64Array(reference.length);
  for (let i = 0; i < reference.length; i++) {
    const x = reference[i];
    if (!Number.isFinite(x)) throw new HomeostatError('HS_INVALID_INPUT', `calibration: reference[${i}] must be a finite number, got ${x}`);
    ref[i] = x;
  }
  const replayFactor = options.replayFactor ?? 3;
  const replicates = Math.max(1, Math.ceil((replayFactor * target) / ref.length));
  const reps = replayReplicates(ref, replicates, options.bootstrap ?? true, options.blockSize ?? Math.min(50, Math.ceil(ref.length / 10)), options.seed ?? 1);
  const iterations = options.iterations ?? 30;

  const choices = specs.map((spec): CalibrationChoice => {
    const knob = spec.knob ?? DEFAULT_KNOBS[spec.detector as DetectorName];
    if (!knob) throw new HomeostatError('HS_INVALID_INPUT', `calibration: no knob known for "${spec.detector}"; pass one with the spec`);
    const make = (value?: number): StreamingDetector => {
      if (spec.create) {
        if (value === undefined) throw new HomeostatError('HS_INVALID_INPUT', `calibration: custom detector "${spec.detector}" needs a value`);
        return spec.create(value);
      }
      const params = { ...(spec.params ?? {}) };
      if (value !== undefined) params[knob.param] = value;
      return createDetector(spec.detector, params);
    };
    const meets = (value: number): { ok: boolean; alarms: number; samples: number } => {
      const r = countAlarms(() => make(value), reps);
      return { ok: r.alarms === 0 || r.samples / r.alarms >= target, ...r };
    };
    const [lo, hi] = knob.range;
    // "sensitive" end alarms most, "safe" end least.
    let sensitive = knob.lessSensitive === 'up' ? lo : hi;
    let safe = knob.lessSensitive === 'up' ? hi : lo;
    let best = meets(safe);
    let value = safe;
    if (best.ok) {
      const first = meets(sensitive);
      if (first.ok) {
        best = first;
        value = sensitive;
      } else {
        for (let i = 0; i < iterations; i++) {
          const mid = knob.log ? Math.sqrt(sensitive * safe) : 0.5 * (sensitive + safe);
          const r = meets(mid);
          if (r.ok) {
            safe = mid;
            best = r;
            value = mid;
          } else {
            sensitive = mid;
          }
        }
      }
    }
    const spread = spec.create ? undefined : countAlarms(() => make(), reps);
    return {
      detector: spec.detector,
      param: knob.param,
      value,
      falseAlarms: best.alarms,
      samplesReplayed: best.samples,
      mtbfa: best.alarms === 0 ? Infinity : best.samples / best.alarms,
      met: best.ok,
      defaultMtbfa: spread === undefined ? Number.NaN : spread.alarms === 0 ? Infinity : spread.samples / spread.alarms,
    };
  });
  return { targetMtbfa: target, referenceLength: ref.length, replicates, choices };
}

/** One line per detector, for logs and the CLI. */
export function formatCalibration(report: CalibrationReport): string {
  const fmt = (x: number): string => (x === Infinity ? '∞' : Number.isNaN(x) ? '–' : x.toFixed(0));
  return report.choices
    .map(
      (c) =>
        `${c.detector}: ${c.param} = ${Number(c.value.toPrecision(4))} → MTBFA ${fmt(c.mtbfa)} samples (${c.falseAlarms} false alarms in ${c.samplesReplayed}; target ${report.targetMtbfa}${c.met ? '' : ', NOT MET'}; default setting: ${fmt(c.defaultMtbfa)})`,
    )
    .join('\n');
}
