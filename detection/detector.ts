/**
 * The one small interface shared by every streaming detector in Homeostat.
 *
 * A detector is fed one number at a time with `update(x)`; afterwards `driftDetected` tells
 * whether that update completed a detection and `score` gives a standardised anomaly score in
 * [0, 1] (1 on a detection) so that fusion can weigh detectors against one another.
 * Detectors that also raise an early warning implement {@link WarningDetector}; detectors whose
 * input is a 0/1 error stream (DDM, EDDM, HDDM) implement {@link BinaryDetector}.
 *
 * As in River, a detector resets itself on the update that follows a detection, so the flag is
 * true for exactly one update.
 *
 * The full state round-trips through `snapshot()` as plain JSON (tagged with `type` and
 * `version`) and comes back with `restoreDetector(snapshot)` from `detection/registry.ts` (or
 * the class's static `fromSnapshot`). A restored detector produces exactly the outputs the
 * original would have produced.
 *
 * Input that is not a finite number (NaN, ±Infinity, strings, …) never reaches the state: it
 * is rejected with `HomeostatError('HS_INVALID_INPUT')`, or — when the detector was built
 * with `skipInvalid: true` — counted in `skipped` and ignored.
 */
import { HomeostatError } from '../common/errors';

/**
 * The streaming detectors ported from River, by their CLI / registry name: each is checked against
 * River's output (golden parity, `bench/detectors`) and offered by `homeostat detect`.
 */
export const DETECTOR_NAMES = ['adwin', 'page-hinkley', 'cusum', 'ddm', 'eddm', 'hddm-a', 'hddm-w', 'ewma', 'kswin', 'fhddm'] as const;

/**
 * Homeostat's own streaming detectors: same contract, same registry, but no River counterpart to
 * be checked against, so they are kept out of {@link DETECTOR_NAMES} and its parity checks.
 */
export const NATIVE_DETECTOR_NAMES = ['bernoulli-cusum'] as const;

/** Every streaming detector the registry builds and restores. */
export const ALL_DETECTOR_NAMES = [...DETECTOR_NAMES, ...NATIVE_DETECTOR_NAMES] as const;
export type DetectorName = (typeof ALL_DETECTOR_NAMES)[number];

/** A JSON number, or the string spelling of a non-finite one (JSON cannot carry NaN / ±Infinity). */
export type SnapshotNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** Plain-JSON value allowed inside a snapshot. */
export type SnapshotValue = SnapshotNumber | string | boolean | null | SnapshotValue[] | { [key: string]: SnapshotValue };

/**
 * The full state of a detector as plain JSON. `params` are the constructor settings
 * (River's names, camelCase), `state` the running state; both are detector specific.
 */
export interface DetectorSnapshot {
  readonly type: DetectorName;
  readonly version: number;
  readonly params: { readonly [key: string]: SnapshotValue };
  readonly state: { readonly [key: string]: SnapshotValue };
}

/** Options every detector accepts besides its own hyperparameters. */
export interface CommonOptions {
  /** When true, non-finite / non-number input is counted in `skipped` instead of throwing. Default false. */
  readonly skipInvalid?: boolean;
}

export interface StreamingDetector {
  /** Registry name of the detector ("adwin", "page-hinkley", …). */
  readonly name: DetectorName;
  /** Feeds one observation. Returns the detector so calls can be chained. */
  update(x: number): this;
  /** True when the last update completed a detection; the detector resets on the next update. */
  readonly driftDetected: boolean;
  /** Standardised anomaly score in [0, 1] after the last update; 1 when a drift was detected. */
  readonly score: number;
  /** Inputs skipped because they were not finite numbers (only with `skipInvalid`). */
  readonly skipped: number;
  /** Full state as plain JSON, tagged with type and version. */
  snapshot(): DetectorSnapshot;
}

/** Capability: the detector raises a warning zone before a drift (DDM, EDDM, HDDM). */
export interface WarningDetector extends StreamingDetector {
  readonly warningDetected: boolean;
}

/** Capability: the detector expects a 0/1 stream (1 = error, 0 = correct prediction). */
export interface BinaryDetector extends StreamingDetector {
  readonly binaryInput: true;
}

export function hasWarning(detector: StreamingDetector): detector is WarningDetector {
  return typeof (detector as Partial<WarningDetector>).warningDetected === 'boolean';
}

export function isBinaryDetector(detector: StreamingDetector): detector is BinaryDetector {
  return (detector as Partial<BinaryDetector>).binaryInput === true;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the detector implementations.

/**
 * Checks one input. Returns true when `x` is a finite number; otherwise throws a typed error,
 * or returns false when the caller opted in to skipping.
 */
export function acceptInput(x: unknown, skipInvalid: boolean, detector: DetectorName): x is number {
  if (typeof x === 'number' && x - x === 0) return true; // x - x is NaN for NaN and ±Infinity
  if (skipInvalid) return false;
  throw new HomeostatError(
    'HS_INVALID_INPUT',
    `${detector}: input must be a finite number, got ${describe(x)} (pass skipInvalid: true to count and skip such values)`,
  );
}

/**
 * Checks one input of a 0/1 detector: a finite number in [0, 1] (1 = error). Same contract as
 * {@link acceptInput}.
 */
export function acceptBinaryInput(x: unknown, skipInvalid: boolean, detector: DetectorName): x is number {
  if (typeof x === 'number' && x >= 0 && x <= 1) return true;
  if (skipInvalid) return false;
  throw new HomeostatError(
    'HS_INVALID_INPUT',
    `${detector}: input must be a number in [0, 1] (1 = error, 0 = correct), got ${describe(x)} (pass skipInvalid: true to count and skip such values)`,
  );
}

function describe(x: unknown): string {
  if (typeof x === 'number') return String(x);
  if (typeof x === 'string') return `string ${JSON.stringify(x)}`;
  if (x === null) return 'null';
  return typeof x;
}

/** Encodes a number so JSON keeps non-finite values. */
export function encodeNumber(x: number): SnapshotNumber {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

/** Inverse of {@link encodeNumber}; throws HS_SNAPSHOT_MISMATCH on anything else. */
export function decodeNumber(value: SnapshotValue | undefined, where: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `snapshot field ${where} must be a number, got ${JSON.stringify(value)}`);
}

export function decodeBoolean(value: SnapshotValue | undefined, where: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `snapshot field ${where} must be a boolean, got ${JSON.stringify(value)}`);
}

export function decodeNumberArray(value: SnapshotValue | undefined, where: string): number[] {
  if (!Array.isArray(value)) {
    throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `snapshot field ${where} must be an array`);
  }
  return value.map((v, i) => decodeNumber(v, `${where}[${i}]`));
}

/** Verifies the type and version tags of a snapshot before a class restores it. */
export function checkSnapshot(snapshot: unknown, type: DetectorName, version: number): DetectorSnapshot {
  if (typeof snapshot !== 'object' || snapshot === null) {
    throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `a ${type} snapshot must be an object, got ${snapshot === null ? 'null' : typeof snapshot}`);
  }
  const s = snapshot as Partial<DetectorSnapshot>;
  if (s.type !== type) {
    throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `cannot restore a snapshot of type ${JSON.stringify(s.type)} into a ${type} detector`, {
      expected: type,
      actual: s.type,
    });
  }
  if (s.version !== version) {
    throw new HomeostatError(
      'HS_SNAPSHOT_MISMATCH',
      `${type} snapshot has version ${JSON.stringify(s.version)}; this build reads version ${version}`,
      { expected: version, actual: s.version },
    );
  }
  if (typeof s.params !== 'object' || s.params === null || typeof s.state !== 'object' || s.state === null) {
    throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `${type} snapshot must carry "params" and "state" objects`);
  }
  return s as DetectorSnapshot;
}

/** Throws HS_INVALID_INPUT for a bad setting, naming the valid values. */
export function invalidSetting(detector: DetectorName, param: string, value: unknown, valid: string): never {
  throw new HomeostatError('HS_INVALID_INPUT', `${detector}: invalid ${param} ${JSON.stringify(value) ?? String(value)}; valid values: ${valid}`, {
    detector,
    param,
    value: value as unknown,
  });
}

/** Range checks used in constructors; each names the valid values in its error. */
export function checkPositive(detector: DetectorName, param: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) invalidSetting(detector, param, value, 'a finite number > 0');
  return value;
}

export function checkNonNegative(detector: DetectorName, param: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) invalidSetting(detector, param, value, 'a finite number ≥ 0');
  return value;
}

export function checkOpenUnit(detector: DetectorName, param: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) invalidSetting(detector, param, value, 'a number in the open interval (0, 1)');
  return value;
}

export function checkInteger(detector: DetectorName, param: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) invalidSetting(detector, param, value, `an integer ≥ ${min}`);
  return value;
}

export function checkBoolean(detector: DetectorName, param: string, value: unknown): boolean {
  if (typeof value !== 'boolean') invalidSetting(detector, param, value, 'true or false');
  return value;
}

/** Rejects settings the detector does not know, listing those it does. */
export function checkKnownParams(detector: DetectorName, params: object, known: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (key === 'skipInvalid') continue;
    if (!known.includes(key)) {
      throw new HomeostatError('HS_INVALID_INPUT', `${detector}: unknown setting "${key}"; valid settings: ${[...known, 'skipInvalid'].join(', ')}`);
    }
  }
}

/** Direction of change a mean-shift detector watches. */
export const MODES = ['up', 'down', 'both'] as const;
export type Mode = (typeof MODES)[number];

export function checkMode(detector: DetectorName, value: unknown): Mode {
  if (typeof value !== 'string' || !(MODES as readonly string[]).includes(value)) invalidSetting(detector, 'mode', value, MODES.join(', '));
  return value as Mode;
}

/** Clamps a score to [0, 1]; NaN becomes 0. */
export function unitScore(x: number): number {
  return x > 0 ? (x < 1 ? x : 1) : 0;
}
