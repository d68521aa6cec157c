/**
 * The drift suite: every streaming detector, and their fusion, on streams with known change points
 * (bench/drift/streams.jsonl.gz, River 0.26.1's concept-drift generators seen through a prequential
 * learner's 0/1 error stream, and numeric error streams; see bench/drift/generate_streams.py), with
 * settings frozen before scoring (`frozen.ts`, chosen on separate no-drift streams only).
 *
 * Per stream and detector: the detection indices. Scoring (per stream, summed per generator and
 * overall): a detection at d counts for change point c when c ≤ d < c + tolerance and c has no
 * earlier detection; every other detection is a false alarm (a second detection of the same change
 * too: an operator gets two pages). Reported: precision = matched / detections, recall = matched /
 * change points, mean delay (d − c over matched change points), false alarms per 10,000 samples
 * (false alarms / all samples · 10⁴) and missed change points.
 *
 * Fusion: the stream kind's detectors in one `ComponentHealth`, each as a `LatchedVote` (1 for
 * `hold` samples after its detection), opening when at least `quorum` of them voted within `hold`
 * samples (k-of-m voting) and closing when none is latched; a fusion detection is an `opened` event.
 * Its settings are fixed (hold 200, quorum 2), not calibrated: they were set before any scoring.
 */
import { type DetectorName, type StreamingDetector } from '../detector';
import { ComponentHealth, type FusionDetectorSpec, LatchedVote } from '../fusion';
import { createDetector } from '../registry';
import { type DriftStream, type StreamKind } from './stream-file';

/** One detector of the suite: a registry detector with fixed settings for one stream kind. */
export interface SuiteDetectorSpec {
  name: string;
  kind: StreamKind;
  detector: DetectorName;
  /** Settings fixed a priori; the calibrated knob is added to them (`frozen.ts`). */
  params: Record<string, unknown>;
  /** Feed 1 − x: FHDDM's test fires on a falling mean (River's arithmetic, MOA's convention). */
  invert?: boolean;
}

/**
 * The suite's detectors and their a-priori settings. On a 0/1 error stream only a rise in errors is
 * a concept drift, so the two-sided charts watch upwards there. KSWIN's seed is fixed (River's
 * default draws a new sample every run).
 */
export const SUITE_DETECTORS: readonly SuiteDetectorSpec[] = [
  { name: 'ddm', kind: 'binary', detector: 'ddm', params: {} },
  { name: 'eddm', kind: 'binary', detector: 'eddm', params: {} },
  { name: 'hddm-a', kind: 'binary', detector: 'hddm-a', params: {} },
  { name: 'hddm-w', kind: 'binary', detector: 'hddm-w', params: {} },
  { name: 'fhddm', kind: 'binary', detector: 'fhddm', params: {}, invert: true },
  { name: 'adwin', kind: 'binary', detector: 'adwin', params: {} },
  { name: 'page-hinkley', kind: 'binary', detector: 'page-hinkley', params: { mode: 'up' } },
  { name: 'cusum', kind: 'binary', detector: 'cusum', params: { mode: 'up' } },
  { name: 'ewma', kind: 'binary', detector: 'ewma', params: { mode: 'up' } },
  { name: 'kswin', kind: 'binary', detector: 'kswin', params: { seed: 42 } },
  { name: 'bernoulli-cusum', kind: 'binary', detector: 'bernoulli-cusum', params: {} },
  { name: 'adwin', kind: 'numeric', detector: 'adwin', params: {} },
  { name: 'page-hinkley', kind: 'numeric', detector: 'page-hinkley', params: {} },
  { name: 'cusum', kind: 'numeric', detector: 'cusum', params: {} },
  { name: 'ewma', kind: 'numeric', detector: 'ewma', params: {} },
  { name: 'kswin', kind: 'numeric', detector: 'kswin', params: { seed: 42 } },
];

export const FUSION_SETTINGS = { hold: 200, quorum: 2 } as const;

/** A detector with its final (frozen) settings. */
export interface FrozenDetector {
  name: string;
  kind: StreamKind;
  detector: DetectorName;
  params: Record<string, unknown>;
  invert?: boolean;
}

function feed(d: StreamingDetector, spec: FrozenDetector, values: Float64Array): number[] {
  const hits: number[] = [];
  for (let t = 0; t < values.length; t++) {
    d.update(spec.invert ? 1 - values[t] : values[t]);
    if (d.driftDetected) hits.push(t);
  }
  return hits;
}

/** Detection indices of one detector on one stream. */
export function detectionsOf(spec: FrozenDetector, values: Float64Array): number[] {
  return feed(createDetector(spec.detector, spec.params), spec, values);
}

/** Detection indices of the fusion of `members` (`opened` events) on one stream. */
export function fusionDetections(members: readonly FrozenDetector[], values: Float64Array, settings = FUSION_SETTINGS): number[] {
  const specs: FusionDetectorSpec[] = members.map((m, i) => ({
    name: `${m.name}#${i}`,
    signal: m.invert ? 'inverted' : 'value',
    layer: 'model',
    weight: 1,
    detector: new LatchedVote(createDetector(m.detector, m.params), settings.hold),
  }));
  const share = 1 / specs.length;
  const health = new ComponentHealth({ alpha: 1, open: Math.min(1, settings.quorum * share), close: 0.5 * share, detectors: specs });
  const value = health.signalHandle('value');
  const inverted = members.some((m) => m.invert) ? health.signalHandle('inverted') : null;
  const hits: number[] = [];
  for (let t = 0; t < values.length; t++) {
    // The result object is reused by the next observe: read `opened` before feeding the next signal.
    let opened = health.observeHandle(value, values[t], t).opened;
    if (inverted && health.observeHandle(inverted, 1 - values[t], t).opened) opened = true;
    if (opened) hits.push(t);
  }
  return hits;
}

/** Counts of one detector on one or more streams. */
export interface DriftCounts {
  changePoints: number;
  detections: number;
  matched: number;
  falseAlarms: number;
  delaySum: number;
  samples: number;
}

export const emptyCounts = (): DriftCounts => ({ changePoints: 0, detections: 0, matched: 0, falseAlarms: 0, delaySum: 0, samples: 0 });

/** Matches detections to change points (first detection within tolerance after each). */
export function scoreDetections(detections: readonly number[], changePoints: readonly number[], length: number, tolerance: number): DriftCounts {
  const matched = new Set<number>();
  let delaySum = 0;
  let falseAlarms = 0;
  for (const d of detections) {
    const c = changePoints.find((cp) => d >= cp && d < cp + tolerance && !matched.has(cp));
    if (c !== undefined) {
      matched.add(c);
      delaySum += d - c;
    } else {
      falseAlarms++;
    }
  }
  return { changePoints: changePoints.length, detections: detections.length, matched: matched.size, falseAlarms, delaySum, samples: length };
}

export function addCounts(a: DriftCounts, b: DriftCounts): DriftCounts {
  return {
    changePoints: a.changePoints + b.changePoints,
    detections: a.detections + b.detections,
    matched: a.matched + b.matched,
    falseAlarms: a.falseAlarms + b.falseAlarms,
    delaySum: a.delaySum + b.delaySum,
    samples: a.samples + b.samples,
  };
}

/** The figures the report prints for a set of counts. */
export interface DriftFigures {
  precision: number;
  recall: number;
  /** Mean samples from a change point to its detection; null when no change point was detected. */
  meanDelay: number | null;
  falseAlarmsPer10k: number;
  missed: number;
  changePoints: number;
  detections: number;
}

export function figures(c: DriftCounts): DriftFigures {
  return {
    precision: c.detections ? c.matched / c.detections : 1,
    recall: c.changePoints ? c.matched / c.changePoints : 1,
    meanDelay: c.matched ? c.delaySum / c.matched : null,
    falseAlarmsPer10k: c.samples ? (1e4 * c.falseAlarms) / c.samples : 0,
    missed: c.changePoints - c.matched,
    changePoints: c.changePoints,
    detections: c.detections,
  };
}

export interface SuiteRow extends DriftFigures {
  detector: string;
  kind: StreamKind;
  /** Generator (stream group), "all", or "all abrupt" / "all gradual" (a stream's `variant`). */
  group: string;
}

export interface SuiteResult {
  rows: SuiteRow[];
  /** Over every stream given, per detector name (both kinds together) and for the fusion. */
  overall: { detectors: (DriftFigures & { name: string })[]; fusion: DriftFigures };
  streams: number;
  samples: number;
}

export const FUSION = 'fusion';

/** Runs every frozen detector of each stream's kind, and their fusion, over the streams. */
export function runSuite(streams: readonly DriftStream[], frozen: readonly FrozenDetector[], onStream?: (name: string, i: number) => void): SuiteResult {
  const cells = new Map<string, { kind: StreamKind; group: string; detector: string; counts: DriftCounts }>();
  const overall = new Map<string, DriftCounts>();
  const add = (kind: StreamKind, group: string, variant: string | undefined, detector: string, c: DriftCounts): void => {
    for (const g of [group, 'all', ...(variant ? [`all ${variant}`] : [])]) {
      const key = `${kind}|${g}|${detector}`;
      const cell = cells.get(key) ?? { kind, group: g, detector, counts: emptyCounts() };
      cell.counts = addCounts(cell.counts, c);
      cells.set(key, cell);
    }
    overall.set(detector, addCounts(overall.get(detector) ?? emptyCounts(), c));
  };
  let samples = 0;
  streams.forEach((s, i) => {
    onStream?.(s.name, i);
    samples += s.values.length;
    const members = frozen.filter((f) => f.kind === s.kind);
    for (const m of members) add(s.kind, s.group, s.variant, m.name, scoreDetections(detectionsOf(m, s.values), s.changePoints, s.values.length, s.tolerance));
    if (members.length > 0) add(s.kind, s.group, s.variant, FUSION, scoreDetections(fusionDetections(members, s.values), s.changePoints, s.values.length, s.tolerance));
  });
  const rows = [...cells.values()].map((c) => ({ detector: c.detector, kind: c.kind, group: c.group, ...figures(c.counts) }));
  const detectors = [...overall.entries()].filter(([name]) => name !== FUSION).map(([name, c]) => ({ name, ...figures(c) }));
  return { rows, overall: { detectors, fusion: figures(overall.get(FUSION) ?? emptyCounts()) }, streams: streams.length, samples };
}
