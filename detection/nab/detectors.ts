/**
 * The detector configurations `homeostat nab --detector <name>` can score:
 * - `homeostat`        — the default: the best configuration we have measured (today
 *                        `homeostat-peakgate`);
 * - `homeostat-peakgate` — the multi-scale configuration with the stricter emission gate of round 3
 *                        (re-alert margin, recent-peak discount; `PEAK_GATE_MULTISCALE_PARAMS`);
 * - `homeostat-multiscale` — the six detectors of `detector.ts` at several time scales, weighed
 *                        together (`multiscale.ts`), with the round-2 gate (the default until the
 *                        peak gate beat it);
 * - `homeostat-fixedscale` — the same weights with blocks and re-alert span sized from a fixed 604
 *                        rows instead of NAB's probation length (independent of the file length; it
 *                        shows how much the default owes to probation-scaled time scales);
 * - `homeostat-fused`  — the fused multi-signal configuration of `detector.ts` at row scale only (the
 *                        default until the multi-scale one beat it);
 * - `likelihood`       — prediction-error and nearest-neighbour anomaly likelihoods (`likelihood.ts`)
 *                        on their own: an experimental alternative, scored but not the default;
 * - `adwin`, `page-hinkley`, `cusum`, `ewma` — one streaming detector alone at its default
 *   settings, its `score` taken as the anomaly score (a baseline for the fused configuration);
 * - `null`             — never fires; scores 0 by definition (a check of the scorer).
 */
import { createDetector } from '../registry';
import { type NabDetectorFactory, homeostatNabDetector, nullNabDetector } from './detector';
import { likelihoodNabDetector } from './likelihood';
import { DEFAULT_MULTISCALE_PARAMS, PEAK_GATE_MULTISCALE_PARAMS, multiScaleNabDetector } from './multiscale';

export const NAB_DETECTORS = ['homeostat', 'homeostat-peakgate', 'homeostat-multiscale', 'homeostat-fixedscale', 'homeostat-fused', 'likelihood', 'adwin', 'page-hinkley', 'cusum', 'ewma', 'null'] as const;
export type NabDetectorName = (typeof NAB_DETECTORS)[number];

function single(name: 'adwin' | 'page-hinkley' | 'cusum' | 'ewma'): NabDetectorFactory {
  return {
    name,
    create: () => {
      const d = createDetector(name);
      return { next: (x: number) => d.update(x).score };
    },
  };
}

export function nabDetector(name: NabDetectorName): NabDetectorFactory {
  switch (name) {
    case 'homeostat':
      return multiScaleNabDetector(PEAK_GATE_MULTISCALE_PARAMS, 'homeostat');
    case 'homeostat-peakgate':
      return multiScaleNabDetector(PEAK_GATE_MULTISCALE_PARAMS, 'homeostat-peakgate');
    case 'homeostat-multiscale':
      return multiScaleNabDetector();
    case 'homeostat-fixedscale':
      // 604 rows: the probation length of the corpus's most common file (4,032 rows).
      return multiScaleNabDetector({ ...DEFAULT_MULTISCALE_PARAMS, sizingRows: 604 }, 'homeostat-fixedscale');
    case 'homeostat-fused':
      return { ...homeostatNabDetector(), name: 'homeostat-fused' };
    case 'likelihood':
      return likelihoodNabDetector({}, 'likelihood');
    case 'null':
      return nullNabDetector;
    default:
      return single(name);
  }
}
