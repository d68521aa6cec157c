/**
 * The detector configurations `homeostat nab --detector <name>` can score:
 * - `homeostat` — the fused configuration of `detector.ts` (the one we publish figures for);
 * - `null`      — never fires; scores 0 by definition (a check of the scorer).
 */
import { type NabDetectorFactory, homeostatNabDetector, nullNabDetector } from './detector';

export const NAB_DETECTORS = ['homeostat', 'null'] as const;
export type NabDetectorName = (typeof NAB_DETECTORS)[number];

export function nabDetector(name: NabDetectorName): NabDetectorFactory {
  switch (name) {
    case 'homeostat':
      return homeostatNabDetector();
    case 'null':
      return nullNabDetector;
  }
}
