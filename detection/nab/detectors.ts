/**
 * The detector configurations `homeostat nab --detector <name>` can score:
 * - `homeostat`  — the fused configuration of `detector.ts` (the one we publish figures for);
 * - `adwin`, `page-hinkley`, `cusum`, `ewma` — one streaming detector alone at its default
 *   settings, its `score` taken as the anomaly score (a baseline for the fused configuration);
 * - `null`       — never fires; scores 0 by definition (a check of the scorer).
 */
import { createDetector } from '../registry';
import { type NabDetectorFactory, homeostatNabDetector, nullNabDetector } from './detector';

export const NAB_DETECTORS = ['homeostat', 'adwin', 'page-hinkley', 'cusum', 'ewma', 'null'] as const;
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
      return homeostatNabDetector();
    case 'null':
      return nullNabDetector;
    default:
      return single(name);
  }
}
