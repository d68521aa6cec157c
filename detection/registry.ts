/**
 * Builds streaming detectors by name and restores them from snapshots.
 *
 * `createDetector('adwin', { delta: 0.01 })` validates the settings (HS_INVALID_INPUT lists the
 * valid names / values); `restoreDetector(snapshot)` dispatches on the snapshot's `type` and
 * fails with HS_SNAPSHOT_MISMATCH for an unknown type or version.
 */
import { HomeostatError } from '../common/errors';
import { Adwin, type AdwinParams } from './adwin';
import { BernoulliCusum, type BernoulliCusumParams } from './bernoulli-cusum';
import { Cusum, type CusumParams } from './cusum';
import { Ddm, type DdmParams } from './ddm';
import { ALL_DETECTOR_NAMES, type DetectorName, type DetectorSnapshot, type StreamingDetector } from './detector';
import { Eddm, type EddmParams } from './eddm';
import { EwmaChart, type EwmaChartParams } from './ewma-chart';
import { HddmA, type HddmAParams } from './hddm-a';
import { Fhddm, type FhddmParams } from './fhddm';
import { HddmW, type HddmWParams } from './hddm-w';
import { Kswin, type KswinParams } from './kswin';
import { PageHinkley, type PageHinkleyParams } from './page-hinkley';

/** Settings accepted by each detector, keyed by registry name. */
export interface DetectorParamsByName {
  adwin: AdwinParams;
  'page-hinkley': PageHinkleyParams;
  cusum: CusumParams;
  ddm: DdmParams;
  eddm: EddmParams;
  'hddm-a': HddmAParams;
  'hddm-w': HddmWParams;
  ewma: EwmaChartParams;
  kswin: KswinParams;
  fhddm: FhddmParams;
  'bernoulli-cusum': BernoulliCusumParams;
}

export interface DetectorByName {
  adwin: Adwin;
  'page-hinkley': PageHinkley;
  cusum: Cusum;
  ddm: Ddm;
  eddm: Eddm;
  'hddm-a': HddmA;
  'hddm-w': HddmW;
  ewma: EwmaChart;
  kswin: Kswin;
  fhddm: Fhddm;
  'bernoulli-cusum': BernoulliCusum;
}

interface Entry<N extends DetectorName> {
  create(params: DetectorParamsByName[N]): DetectorByName[N];
  restore(snapshot: DetectorSnapshot): DetectorByName[N];
  /** Accepted settings: River's parameter names in camelCase (`max_buckets` → `maxBuckets`). */
  readonly params: readonly (keyof DetectorParamsByName[N] & string)[];
  readonly version: number;
}

const REGISTRY: { [N in DetectorName]: Entry<N> } = {
  adwin: {
    create: (p) => new Adwin(p),
    restore: (s) => Adwin.fromSnapshot(s),
    params: ['delta', 'clock', 'maxBuckets', 'minWindowLength', 'gracePeriod'],
    version: Adwin.VERSION,
  },
  'page-hinkley': {
    create: (p) => new PageHinkley(p),
    restore: (s) => PageHinkley.fromSnapshot(s),
    params: ['minInstances', 'delta', 'threshold', 'alpha', 'mode'],
    version: PageHinkley.VERSION,
  },
  cusum: {
    create: (p) => new Cusum(p),
    restore: (s) => Cusum.fromSnapshot(s),
    params: ['minInstances', 'slack', 'threshold', 'mode'],
    version: Cusum.VERSION,
  },
  ddm: {
    create: (p) => new Ddm(p),
    restore: (s) => Ddm.fromSnapshot(s),
    params: ['warmStart', 'warningThreshold', 'driftThreshold'],
    version: Ddm.VERSION,
  },
  eddm: {
    create: (p) => new Eddm(p),
    restore: (s) => Eddm.fromSnapshot(s),
    params: ['warmStart', 'alpha', 'beta'],
    version: Eddm.VERSION,
  },
  'hddm-a': {
    create: (p) => new HddmA(p),
    restore: (s) => HddmA.fromSnapshot(s),
    params: ['driftConfidence', 'warningConfidence', 'twoSidedTest'],
    version: HddmA.VERSION,
  },
  'hddm-w': {
    create: (p) => new HddmW(p),
    restore: (s) => HddmW.fromSnapshot(s),
    params: ['driftConfidence', 'warningConfidence', 'lambdaVal', 'twoSidedTest'],
    version: HddmW.VERSION,
  },
  ewma: {
    create: (p) => new EwmaChart(p),
    restore: (s) => EwmaChart.fromSnapshot(s),
    params: ['alpha', 'threshold', 'minInstances', 'mode'],
    version: EwmaChart.VERSION,
  },
  kswin: {
    create: (p) => new Kswin(p),
    restore: (s) => Kswin.fromSnapshot(s),
    params: ['alpha', 'windowSize', 'statSize', 'seed'],
    version: Kswin.VERSION,
  },
  fhddm: {
    create: (p) => new Fhddm(p),
    restore: (s) => Fhddm.fromSnapshot(s),
    params: ['slidingWindowSize', 'confidenceLevel', 'shortWindowSize'],
    version: Fhddm.VERSION,
  },
  'bernoulli-cusum': {
    create: (p) => new BernoulliCusum(p),
    restore: (s) => BernoulliCusum.fromSnapshot(s),
    params: ['reference', 'oddsRatio', 'threshold', 'holdOff'],
    version: BernoulliCusum.VERSION,
  },
};

export function isDetectorName(name: unknown): name is DetectorName {
  return typeof name === 'string' && (ALL_DETECTOR_NAMES as readonly string[]).includes(name);
}

function checkName(name: unknown): DetectorName {
  if (!isDetectorName(name)) {
    throw new HomeostatError('HS_INVALID_INPUT', `unknown detector ${JSON.stringify(name)}; valid detectors: ${ALL_DETECTOR_NAMES.join(', ')}`);
  }
  return name;
}

/** The settings a detector accepts (camelCase forms of River's parameter names). */
export function detectorParams(name: DetectorName): readonly string[] {
  return REGISTRY[checkName(name)].params;
}

/** Creates a detector by registry name; settings are validated by the detector's constructor. */
export function createDetector<N extends DetectorName>(name: N, params?: DetectorParamsByName[N]): DetectorByName[N];
export function createDetector(name: string, params?: Record<string, unknown>): StreamingDetector;
export function createDetector(name: string, params: Record<string, unknown> = {}): StreamingDetector {
  const n = checkName(name);
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new HomeostatError('HS_INVALID_INPUT', `${n}: settings must be an object`);
  }
  return (REGISTRY[n] as Entry<DetectorName>).create(params as never);
}

/** Restores any detector from its snapshot; HS_SNAPSHOT_MISMATCH for an unknown type or version. */
export function restoreDetector(snapshot: DetectorSnapshot): StreamingDetector {
  const type = (snapshot as Partial<DetectorSnapshot> | null)?.type;
  if (!isDetectorName(type)) {
    throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `cannot restore a snapshot of unknown type ${JSON.stringify(type)}; known types: ${ALL_DETECTOR_NAMES.join(', ')}`);
  }
  return REGISTRY[type].restore(snapshot);
}

/** Snapshot versions this build reads, by detector. */
export function snapshotVersions(): Record<DetectorName, number> {
  const out = {} as Record<DetectorName, number>;
  for (const name of ALL_DETECTOR_NAMES) out[name] = REGISTRY[name].version;
  return out;
}
