/**
 * Drift suite: synthetic, seeded streams with known change points, and the figures an operator
 * cares about per detector and for the fusion of them:
 *  - mean detection delay (samples from the change point to the first detection within tolerance),
 *  - missed-detection rate (change points with no detection within tolerance),
 *  - mean time between false alarms (samples outside the tolerance windows / false alarms),
 *  - precision and recall within the tolerance window (a second detection of the same change
 *    counts as a false alarm: an operator would get two pages).
 *
 * Streams (each `runs` seeds × 6,000 samples, change points every 1,000 samples from 1,000):
 *  - `abrupt`   N(μ, 1) with μ jumping by ±(1.5…3) at each change point;
 *  - `gradual`  the same jumps spread over a 400-sample linear ramp (change point = ramp start);
 *  - `variance` N(0, σ) with σ alternating 1 ↔ 2.5;
 *  - `sea`      SEA concepts (x₁ + x₂ ≤ θ on U(0,10)², 10 % label noise) with θ cycling through
 *               SEA's classic 8, 9, 7, 9.5; the deployed model keeps the old concept until a
 *               scheduled retraining 900 samples after each switch — the monitored signal is its 0/1
 *               error stream (10 % errors; 17–27 % while the model is stale, only +6.8 points after
 *               an 8 → 9 switch). A detection counts if it comes while the model is still stale.
 *
 * Every detector's sensitivity is calibrated (detection/calibration.ts) on a healthy stream of the
 * same family (an independent seed, no change point) for a mean time between false alarms of
 * `targetMtbfa`; nothing is tuned on the evaluation runs themselves.
 *
 * Fusion: the stream's voting detectors (FUSION_DEFAULTS.members) in one `ComponentHealth`, each
 * as a `LatchedVote`, so the component opens when `quorum` detectors fired within `hold` updates
 * (k-of-m voting) and stays open while votes keep coming (hysteresis: one incident per change).
 * Real-valued streams feed two signals — the value and its spread |x_t − x_{t−1}|, so mean
 * detectors also see a variance change. On the SEA error stream the vote is the Bernoulli CUSUM's
 * (detection/bernoulli-cusum.ts), the one detector there that keeps its healthy reference through
 * a stale stretch. A fusion detection is an `opened` event. The fusion settings were chosen on
 * calibration seeds 777, 555 and 31337; the reported runs use the default seed.
 *
 * Figures of the fusion on the default seed (`npx homeostat bench drift-suite`), precision / recall:
 * abrupt 1.00 / 1.00, gradual 1.00 / 1.00, variance 1.00 / 1.00, SEA 1.00 / 0.96, all 1.00 / 0.99
 * (198 of 200 change points, no false alarm; both misses are 8 → 9 switches, +6.8 error points,
 * one of them partly inside the hold-off that followed a late detection of the change before).
 * Overall on seeds 1, 2, 42, 2024 and 99991, never used to choose anything: 1.000 / 0.995,
 * 0.995 / 0.990, 1.000 / 1.000, 0.995 / 0.995 and 0.980 / 0.985; over fifteen such seeds the
 * lowest precision was 0.980 and the lowest recall 0.970 (SEA recall 0.88–1.00), the means
 * 0.992 / 0.989.
 */
import { HomeostatError } from '../common/errors';
import { type CalibrationSpec, calibrate, replayReplicates } from './calibration';
import { type StreamingDetector } from './detector';
import { ComponentHealth, type FusableDetector, type FusionDetectorSpec, LatchedVote } from './fusion';
import { RandomState } from './random';
import { WindowedProportionTest } from './proportion-drift';
import { createDetector } from './registry';
import { klTest } from './windows/kl';
import { WindowTestDetector } from './windows/streaming';

export const STREAM_KINDS = ['abrupt', 'gradual', 'variance', 'sea'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

export interface SuiteStream {
  kind: StreamKind;
  values: Float64Array;
  changePoints: number[];
}

const LENGTH = 6000;
const SPACING = 1000;
const RAMP = 400;

/** Tolerance window per stream kind: how late a detection may come and still count. */
export const TOLERANCE: Record<StreamKind, number> = { abrupt: 300, gradual: 700, variance: 300, sea: 900 };

export function generateStream(kind: StreamKind, seed: number, withChanges = true): SuiteStream {
  const rng = new RandomState(seed);
  const values = new Float64Array(LENGTH);
  const changePoints: number[] = [];
  if (withChanges) for (let c = SPACING; c < LENGTH; c += SPACING) changePoints.push(c);
  if (kind === 'sea') return seaStream(rng, changePoints);
  let mean = 0;
  let from = 0;
  let to = 0;
  let rampStart = -1;
  let sd = 1;
  for (let t = 0; t < LENGTH; t++) {
    if (changePoints.includes(t)) {
      if (kind === 'variance') sd = sd === 1 ? 2.5 : 1;
      else {
        const jump = (1.5 + 1.5 * rng.randomDouble()) * (rng.randomDouble() < 0.5 ? -1 : 1);
        from = mean;
        to = mean + jump;
        rampStart = t;
        if (kind === 'abrupt') mean = to;
      }
    }
    if (kind === 'gradual' && rampStart >= 0) {
      const f = Math.min(1, (t - rampStart) / RAMP);
      mean = from + f * (to - from);
    }
    values[t] = rng.normal(mean, sd);
  }
  return { kind, values, changePoints };
}

const SEA_THETAS = [8, 9, 7, 9.5];

/** Samples between a concept switch and the scheduled retraining that adapts the model to it. */
const SEA_RETRAIN_LAG = 900;

function seaStream(rng: RandomState, changePoints: number[]): SuiteStream {
  const values = new Float64Array(LENGTH);
  let concept = 0;
  let model = SEA_THETAS[0]; // the deployed model has learnt the first concept exactly
  for (let t = 0; t < LENGTH; t++) {
    if (changePoints.includes(t)) concept++;
    const theta = SEA_THETAS[concept % SEA_THETAS.length];
    // The scheduled retraining: from here on the model knows the current concept again.
    if (changePoints.includes(t - SEA_RETRAIN_LAG)) model = theta;
    const s = 10 * rng.randomDouble() + 10 * rng.randomDouble();
    rng.randomDouble(); // SEA's third attribute is irrelevant to the concept
    let label = s <= theta ? 1 : 0;
    if (rng.randomDouble() < 0.1) label = 1 - label;
    values[t] = (s <= model ? 1 : 0) === label ? 0 : 1;
  }
  return { kind: 'sea', values, changePoints };
}

export interface DetectionMetrics {
  changePoints: number;
  detections: number;
  truePositives: number;
  falseAlarms: number;
  /** False alarms that are repeat detections of an already-detected change within its tolerance window. */
  duplicates: number;
  meanDelay: number;
  missedRate: number;
  mtbfa: number;
  precision: number;
  recall: number;
}

/** Scores detection indices against change points with a tolerance window. */
export function scoreDetections(detections: readonly number[], changePoints: readonly number[], length: number, tolerance: number): Omit<DetectionMetrics, 'meanDelay'> & { delays: number[] } {
  const matched = new Set<number>();
  const delays: number[] = [];
  let fa = 0;
  let duplicates = 0;
  for (const d of detections) {
    const c = changePoints.find((cp) => d >= cp && d < cp + tolerance);
    if (c !== undefined && !matched.has(c)) {
      matched.add(c);
      delays.push(d - c);
    } else {
      fa++;
      if (c !== undefined) duplicates++;
    }
  }
  let quiet = length;
  for (const c of changePoints) quiet -= Math.min(tolerance, length - c);
  return {
    changePoints: changePoints.length,
    detections: detections.length,
    truePositives: matched.size,
    falseAlarms: fa,
    duplicates,
    delays,
    missedRate: changePoints.length ? 1 - matched.size / changePoints.length : 0,
    mtbfa: fa === 0 ? Infinity : quiet / fa,
    precision: detections.length ? matched.size / detections.length : 1,
    recall: changePoints.length ? matched.size / changePoints.length : 1,
  };
}

interface SuiteDetector {
  name: string;
  /** Which signal it watches: the value, or its spread |Δx| (real-valued streams only). */
  signal: 'value' | 'spread';
  make: () => StreamingDetector | FusableDetectorWithFlag;
  /** Votes' worth in the fusion (default 1). */
  weight?: number;
}

type FusableDetectorWithFlag = FusableDetector & { readonly driftDetected: boolean };

/** A detector of the suite and how to calibrate it. */
interface SuiteSpec extends CalibrationSpec {
  /**
   * Healthy samples replayed per calibration candidate, as a multiple of the target MTBFA
   * (default 2). A replay of 2 × the target allows only ~2 false alarms, so the chosen threshold
   * is noisy; detectors that are cheap per update and carry a fusion alone get a longer replay.
   */
  replayFactor?: number;
}

// Charts that freeze a reference after `minInstances` samples get 200 rather than 30: a reference
// mean/σ estimated from 30 samples is off by ~0.2σ, which later reads as a shift.
const REAL_DETECTORS: SuiteSpec[] = [
  { detector: 'adwin' },
  { detector: 'page-hinkley', params: { mode: 'both', minInstances: 200 } },
  { detector: 'cusum', params: { minInstances: 200 } },
  { detector: 'ewma', params: { mode: 'both', minInstances: 200 } },
];
const BINARY_DETECTORS: SuiteSpec[] = [
  // After every reset these relearn the error rate; from 30 samples that estimate is too rough.
  { detector: 'ddm', params: { warmStart: 300 } },
  { detector: 'eddm', params: { warmStart: 300 } },
  { detector: 'hddm-a' },
  { detector: 'hddm-w' },
  { detector: 'adwin' },
  // Mean-shift charts work on a 0/1 error rate too; only a rise in errors is a concept drift.
  // A +0.1 rise of a 0.1 error rate is a third of a standard deviation: the slack must be smaller,
  // and a 0/1 stream needs a longer warm-up than 30 samples to estimate its rate.
  { detector: 'page-hinkley', params: { mode: 'up', minInstances: 300 } },
  { detector: 'cusum', params: { mode: 'up', slack: 0.15, minInstances: 300 } },
  { detector: 'ewma', params: { mode: 'up', alpha: 0.02, minInstances: 300 } },
  // A likelihood-ratio CUSUM on the error rate against the rate of the first 500 samples, kept
  // after a detection (see detection/bernoulli-cusum.ts). Designed for doubled error odds (10 % →
  // 18 %, between the suite's smallest rise, 8 → 9, and the others); after a detection it holds
  // off for 850 samples so a model left stale is one incident. The hold-off is knowledge of the
  // remedy — here the 900-sample retraining lag — and the figures depend on it: on calibration
  // seeds 777 / 555 / 31337 the SEA precision was 0.75–0.79 at 600, 0.85–0.90 at 750, 0.94–1.00
  // at 800, 1.00 at 850 and 900, and recall fell to 0.92–0.96 at 950. Odds ratio 1.5 / 3 gave
  // SEA 1.00 / 0.92–1.00 and 0.96–0.98 / 0.92–0.94. Chosen on those seeds, not the reported one.
  { detector: 'bernoulli-cusum', params: { reference: 500, oddsRatio: 2, holdOff: 850 }, replayFactor: 10 },
];

function spreadOf(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 1; i < values.length; i++) out[i] = Math.abs(values[i] - values[i - 1]);
  out[0] = out[1];
  return out;
}

function klDetector(): FusableDetectorWithFlag {
  return new WindowTestDetector((r, c) => klTest(r, c, { threshold: 0.25, bins: 10 }), { window: 150, step: 10 });
}

/**
 * Smallest z threshold of the proportion test whose healthy replay (the same moving-block bootstrap
 * as `calibrate`) gives an MTBFA of at least the target, by bisection.
 */
function calibrateProportion(healthy: Float64Array, settings: { window: number; rearmWindow: number }, targetMtbfa: number, seed: number): number {
  const reps = replayReplicates(healthy, Math.max(1, Math.ceil((2 * targetMtbfa) / healthy.length)), true, Math.min(50, Math.ceil(healthy.length / 10)), seed);
  const ok = (threshold: number): boolean => {
    let alarms = 0;
    let samples = 0;
    for (const rep of reps) {
      const d = new WindowedProportionTest({ ...settings, threshold });
      for (const x of rep) if (d.update(x).driftDetected) alarms++;
      samples += rep.length;
    }
    return alarms === 0 || samples / alarms >= targetMtbfa;
  };
  let lo = 0.5;
  let hi = 12;
  for (let i = 0; i < 20; i++) {
    const mid = 0.5 * (lo + hi);
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Detectors of one stream family, calibrated on an independent healthy stream of that family. */
function buildDetectors(kind: StreamKind, targetMtbfa: number, seed: number, fusion: typeof FUSION_DEFAULTS): { detectors: SuiteDetector[]; calibration: Record<string, number> } {
  const healthy = generateStream(kind, seed, false).values;
  const calibration: Record<string, number> = {};
  const detectors: SuiteDetector[] = [];
  const specsFor = kind === 'sea' ? BINARY_DETECTORS : REAL_DETECTORS;
  const signals: ('value' | 'spread')[] = kind === 'sea' ? ['value'] : ['value', 'spread'];
  for (const signal of signals) {
    const ref = signal === 'value' ? healthy : spreadOf(healthy);
    for (const spec of specsFor) {
      // One spec at a time: the replay depends only on the reference, seed and length, so every
      // detector sees the same healthy replicates (common random numbers), however long its replay.
      const [choice] = calibrate(ref, [spec], { targetMtbfa, seed: seed + 1, replayFactor: spec.replayFactor ?? 2, iterations: 20 }).choices;
      const params = { ...(spec.params ?? {}), [choice.param]: choice.value };
      const name = signal === 'value' ? spec.detector : `${spec.detector}(|Δx|)`;
      calibration[`${name}.${choice.param}`] = Number(choice.value.toPrecision(4));
      detectors.push({ name, signal, make: () => createDetector(spec.detector, params) });
    }
  }
  if (kind === 'sea' && fusion.proportionWeight > 0) {
    // The windowed two-proportion test keeps the healthy error rate as its reference instead of
    // relearning it after a detection, which is what a stale model's long high-error stretches need.
    const settings = { window: fusion.proportionWindow, rearmWindow: 50 };
    const threshold = calibrateProportion(healthy, settings, targetMtbfa, seed + 1);
    calibration['proportion.threshold'] = Number(threshold.toPrecision(4));
    detectors.push({ name: 'proportion', signal: 'value', make: () => new WindowedProportionTest({ ...settings, threshold }), weight: fusion.proportionWeight });
  }
  // KL on quantile bins needs a continuous signal; on a 0/1 stream it has a single cut point.
  if (kind !== 'sea') detectors.push({ name: 'kl', signal: 'value', make: klDetector });
  return { detectors, calibration };
}

export interface DriftSuiteRow extends DetectionMetrics {
  detector: string;
  stream: StreamKind | 'all';
}

export interface DriftSuiteOptions {
  runs?: number;
  seed?: number;
  targetMtbfa?: number;
  /** Fusion settings (defaults chosen on the calibration streams, see FUSION_DEFAULTS). */
  fusion?: Partial<typeof FUSION_DEFAULTS>;
}

/**
 * Fusion settings, chosen on calibration seeds (777; the SEA member and the quorum also on 555 and
 * 31337), never on the reported seed. Each detector's vote is latched for `hold` updates
 * (LatchedVote); the component opens when the EWMA (α) of the share of voting detectors reaches
 * `quorum` detectors' worth — with α = 1 that is "at least `quorum` detectors fired within `hold`
 * updates" — and closes below `release` detectors' worth. The quorum is capped at the members'
 * total weight, so a family with fewer voters than the quorum needs all of them. `warmup` time
 * steps at the start never open (detectors still learn).
 *
 * `members` lists, per stream family, the detectors that vote (all of the family's detectors when
 * a family is not listed); the table still reports every detector on its own. `weights` gives,
 * per family, a member's votes' worth (default 1).
 *
 * On the SEA error stream only the Bernoulli CUSUM votes: it keeps its healthy reference, while
 * the River detectors relearn theirs from the stale model's errors after each detection, so their
 * votes there are mostly repeat or late detections that also hold incidents open across the next
 * change point.
 * On seeds 777 / 555 / 31337, letting the eight River detectors vote beside it with the CUSUM
 * worth a quorum on its own (`members: {}, weights: { sea: { 'bernoulli-cusum': 3.5 } }`) gave
 * SEA precision / recall 0.94 / 0.94, 0.92 / 0.98, 0.89 / 0.98 against 1.00 / 0.98 on all three
 * with the CUSUM alone.
 *
 * The real-valued families keep all nine voters; `quorum` 3.5 (four of nine) rather than 2.5
 * removes the false alarms of three detectors agreeing on noise — within a high-variance stretch,
 * or late in a ramp. On seeds 777 / 555 / 31337 their pooled precision / recall went from
 * 0.96 / 0.99, 0.97 / 0.99, 0.94 / 0.97 to 0.99 / 1.00, 0.99 / 1.00, 0.98 / 1.00 (4.5 loses
 * recall: 0.97, 0.95, 0.93).
 *
 * `proportionWeight` > 0 adds a windowed two-proportion test (detection/proportion-drift.ts,
 * window `proportionWindow`, threshold calibrated like the others) to the SEA detectors with that
 * many votes' worth; list it in `members.sea` to let it vote. It is off by default: in the earlier
 * fusion (quorum 2.5, every SEA detector voting) it raised recall on the default seed from 0.89 to
 * 0.91 (SEA 0.58 → 0.64) but lowered precision from 0.95 to 0.92 (SEA 0.88 → 0.78).
 */
export const FUSION_DEFAULTS = {
  alpha: 1,
  quorum: 3.5,
  release: 0.5,
  hold: 200,
  warmup: 300,
  memberFactor: 1,
  proportionWeight: 0,
  proportionWindow: 150,
  members: { sea: ['bernoulli-cusum'] } as Partial<Record<StreamKind, readonly string[]>>,
  weights: {} as Partial<Record<StreamKind, Readonly<Record<string, number>>>>,
};

/** The paper's table (precision / recall), shown beside ours. */
export const PAPER_TABLE: Record<string, { precision: number; recall: number }> = {
  kl: { precision: 0.92, recall: 0.85 },
  cusum: { precision: 0.95, recall: 0.78 },
  adwin: { precision: 0.9, recall: 0.91 },
  eddm: { precision: 0.88, recall: 0.89 },
};

export interface DriftSuiteResult {
  rows: DriftSuiteRow[];
  calibration: Record<StreamKind, Record<string, number>>;
  runs: number;
  targetMtbfa: number;
}

function aggregate(detector: string, stream: StreamKind | 'all', parts: { m: ReturnType<typeof scoreDetections>; length: number; tolerance: number }[]): DriftSuiteRow {
  let cps = 0;
  let dets = 0;
  let tp = 0;
  let fa = 0;
  let dup = 0;
  let quiet = 0;
  const delays: number[] = [];
  for (const { m, length, tolerance } of parts) {
    cps += m.changePoints;
    dets += m.detections;
    tp += m.truePositives;
    fa += m.falseAlarms;
    dup += m.duplicates;
    delays.push(...m.delays);
    quiet += length - m.changePoints * tolerance;
  }
  return {
    detector,
    stream,
    changePoints: cps,
    detections: dets,
    truePositives: tp,
    falseAlarms: fa,
    duplicates: dup,
    meanDelay: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : Number.NaN,
    missedRate: cps ? 1 - tp / cps : 0,
    mtbfa: fa === 0 ? Infinity : quiet / fa,
    precision: dets ? tp / dets : 1,
    recall: cps ? tp / cps : 1,
  };
}

export function runDriftSuite(options: DriftSuiteOptions = {}): DriftSuiteResult {
  const runs = options.runs ?? 10;
  const seed = options.seed ?? 20_260_000;
  const targetMtbfa = options.targetMtbfa ?? 20_000;
  const fusion = { ...FUSION_DEFAULTS, ...options.fusion };
  if (!(Number.isInteger(runs) && runs >= 1)) throw new HomeostatError('HS_INVALID_INPUT', `drift suite: runs must be an integer ≥ 1, got ${runs}`);
  const perDetector = new Map<string, Map<StreamKind, { m: ReturnType<typeof scoreDetections>; length: number; tolerance: number }[]>>();
  const record = (name: string, kind: StreamKind, m: ReturnType<typeof scoreDetections>, tolerance: number): void => {
    const byKind = perDetector.get(name) ?? new Map<StreamKind, { m: ReturnType<typeof scoreDetections>; length: number; tolerance: number }[]>();
    const list = byKind.get(kind) ?? [];
    list.push({ m, length: LENGTH, tolerance });
    byKind.set(kind, list);
    perDetector.set(name, byKind);
  };
  const calibration = {} as Record<StreamKind, Record<string, number>>;
  STREAM_KINDS.forEach((kind, k) => {
    const calSeed = seed + 1000 * (k + 1) + 999;
    const built = buildDetectors(kind, targetMtbfa, calSeed, fusion);
    // Fusion members may be calibrated more sensitively: the quorum removes lone false alarms.
    const members = fusion.memberFactor === 1 ? built : buildDetectors(kind, targetMtbfa * fusion.memberFactor, calSeed, fusion);
    calibration[kind] = built.calibration;
    const tol = TOLERANCE[kind];
    for (let run = 0; run < runs; run++) {
      const stream = generateStream(kind, seed + 1000 * (k + 1) + run);
      const spread = spreadOf(stream.values);
      const instances = built.detectors.map((d) => ({ spec: d, det: d.make() as FusableDetectorWithFlag }));
      const hits = instances.map(() => [] as number[]);
      const voters = fusion.members[kind];
      const specs: FusionDetectorSpec[] = members.detectors.filter((spec) => !voters || voters.includes(spec.name)).map((spec) => ({
        name: spec.name,
        signal: spec.signal,
        layer: kind === 'sea' ? 'model' : 'data',
        weight: fusion.weights[kind]?.[spec.name] ?? spec.weight ?? 1,
        detector: new LatchedVote(spec.make() as FusableDetectorWithFlag, fusion.hold),
      }));
      // Weights in votes' worth (1 per detector unless set): s_t is the weighted share of detectors
      // that fired within the last `hold` updates.
      const share = 1 / specs.reduce((w, d) => w + (d.weight ?? 1), 0);
      const health = new ComponentHealth({
        alpha: fusion.alpha,
        open: Math.min(1, fusion.quorum * share),
        close: fusion.release * share,
        warmup: fusion.warmup * (kind === 'sea' ? 1 : 2),
        detectors: specs,
      });
      const valueHandle = health.signalHandle('value');
      const spreadHandle = kind === 'sea' ? null : health.signalHandle('spread');
      const fused: number[] = [];
      for (let t = 0; t < LENGTH; t++) {
        // The result object is reused by the next observe: read `opened` before feeding the spread.
        let opened = health.observeHandle(valueHandle, stream.values[t], t).opened;
        if (spreadHandle && health.observeHandle(spreadHandle, spread[t], t).opened) opened = true;
        if (opened) fused.push(t);
        instances.forEach(({ spec, det }, i) => {
          det.update(spec.signal === 'value' ? stream.values[t] : spread[t]);
          if (det.driftDetected) hits[i].push(t);
        });
      }
      instances.forEach(({ spec }, i) => record(spec.name, kind, scoreDetections(hits[i], stream.changePoints, LENGTH, tol), tol));
      record('fusion', kind, scoreDetections(fused, stream.changePoints, LENGTH, tol), tol);
    }
  });
  const rows: DriftSuiteRow[] = [];
  for (const [name, byKind] of perDetector) {
    for (const [kind, parts] of byKind) rows.push(aggregate(name, kind, parts));
    rows.push(aggregate(name, 'all', [...byKind.values()].flat()));
  }
  return { rows, calibration, runs, targetMtbfa };
}

/** The suite as a table, our precision/recall beside the paper's. */
export function formatDriftSuite(result: DriftSuiteResult): string {
  const f = (x: number, d = 2): string => (x === Infinity ? '∞' : Number.isNaN(x) ? '–' : x.toFixed(d));
  const header = `${'detector'.padEnd(20)}${'stream'.padEnd(10)}${'delay'.padStart(8)}${'missed'.padStart(8)}${'MTBFA'.padStart(9)}${'prec'.padStart(7)}${'recall'.padStart(7)}${'dup'.padStart(5)}   paper P/R`;
  const lines = result.rows.map((r) => {
    const paper = r.stream === 'all' ? PAPER_TABLE[r.detector] : undefined;
    return `${r.detector.padEnd(20)}${r.stream.padEnd(10)}${f(r.meanDelay, 0).padStart(8)}${f(r.missedRate).padStart(8)}${f(r.mtbfa, 0).padStart(9)}${f(r.precision).padStart(7)}${f(r.recall).padStart(7)}${String(r.duplicates).padStart(5)}   ${paper ? `${paper.precision.toFixed(2)}/${paper.recall.toFixed(2)}` : ''}`;
  });
  return [
    `Drift suite: ${result.runs} seeded runs per stream, change points every ${SPACING} samples, detectors calibrated for MTBFA ≥ ${result.targetMtbfa} on healthy streams`,
    `tolerance (samples): ${STREAM_KINDS.map((k) => `${k} ${TOLERANCE[k]}`).join(', ')}; precision is strict: a repeat detection of an already-detected change ("dup") is a false alarm`,
    header,
    ...lines,
  ].join('\n');
}
