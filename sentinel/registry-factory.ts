/** The production detector factory: `detection/registry`, validated settings, typed restore. */
import { type DetectorName, type DetectorSnapshot } from '../detection/detector';
import { createDetector, restoreDetector } from '../detection/registry';
import type { DetectorFactory, SnapshotableDetector } from './detectors';

export const registryFactory: DetectorFactory = {
  create(name: DetectorName, params: Record<string, unknown>): SnapshotableDetector {
    return createDetector(name, params);
  },
  restore(snapshot: unknown): SnapshotableDetector {
    // restoreDetector checks type and version itself and throws HS_SNAPSHOT_MISMATCH.
    return restoreDetector(snapshot as DetectorSnapshot);
  },
};
