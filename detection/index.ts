/**
 * The detection layer in one import: streaming detectors (by name through the registry), window
 * tests against a reference, data-quality checks, fusion into a component health, calibration,
 * and the drift suite. Deep imports (`detection/fusion`, …) keep working for callers that want
 * less.
 */
export * from './detector';
export { createDetector, restoreDetector, detectorParams, isDetectorName, snapshotVersions } from './registry';
export {
  ComponentHealth,
  LatchedVote,
  FUSION_SNAPSHOT_TYPE,
  FUSION_SNAPSHOT_VERSION,
  type ComponentHealthOptions,
  type ComponentHealthSnapshot,
  type FusableDetector,
  type FusionDetectorSpec,
  type HealthResult,
  type LayerVector,
  type WeightOutcome,
} from './fusion';
export * as windows from './windows';
export * as quality from './quality';
export { calibrate, formatCalibration, DEFAULT_KNOBS, type CalibrationOptions, type CalibrationReport, type CalibrationSpec, type CalibrationChoice, type SensitivityKnob } from './calibration';
export { runSuite, scoreDetections, SUITE_DETECTORS, type SuiteResult, type SuiteRow, type DriftFigures } from './drift/suite';
export { readStreams, parseStreams, type DriftStream } from './drift/stream-file';
