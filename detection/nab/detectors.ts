/**
 * The detector configurations `homeostat nab --detector <name>` can score:
 * - `homeostat`        — the default and the headline: `homeostat-online`;
 * - `homeostat-online` — the frozen online configuration (`online.ts`): settings fixed before it
 *                        was scored, no file length, no probation length, no label, no per-file
 *                        setting; only the rows seen so far;
 * - `sentinel`         — the sentinel's default metric-signal detectors and fusion as deployed
 *                        (score 1 where the component opens), `sentinel-health` its fused level
 *                        with the threshold chosen by NAB's sweep (`sentinel-metric.ts`);
 * - `homeostat-tuned`  — TUNED ON NAB: the multi-scale configuration whose ~36 settings were chosen
 *                        by coordinate search on the NAB corpus, with time scales sized from the
 *                        probation length NAB hands each detector (15 % of the file length under
 *                        5,000 rows) and the round-3 emission gate (`PEAK_GATE_MULTISCALE_PARAMS`);
 *                        `bench/nab/tune.ts` is its tuning harness, docs/nab.md gives its 2-fold
 *                        held-out figures;
 * - `homeostat-multiscale` — TUNED ON NAB: the same with the round-2 gate;
 * - `homeostat-fixedscale` — TUNED ON NAB: the same weights with blocks and re-alert span sized
 *                        from a fixed 604 rows instead of the probation length;
 * - `homeostat-fused`  — TUNED ON NAB: the fused multi-signal configuration of `detector.ts` at row
 *                        scale only;
 * - `likelihood`       — prediction-error and nearest-neighbour anomaly likelihoods (`likelihood.ts`)
 *                        on their own: an experimental alternative;
 * - `adwin`, `page-hinkley`, `cusum`, `ewma` — one streaming detector alone at its default
 *   settings, its `score` taken as the anomaly score (a baseline for the fused configuration);
 * - `null`             — never fires; scores 0 by definition (a check of the scorer).
 */
import { createDetector } from '../registry';
import { type NabDetectorFactory, homeostatNabDetector, nullNabDetector } from './detector';
import { likelihoodNabDetector } from './likelihood';
import { FROZEN_ONLINE_PARAMS } from './online';
import { sentinelNabDetector } from './sentinel-metric';
import { DEFAULT_MULTISCALE_PARAMS, PEAK_GATE_MULTISCALE_PARAMS, multiScaleNabDetector } from './multiscale';

export const NAB_DETECTORS = ['homeostat', 'homeostat-online', 'sentinel', 'sentinel-health', 'homeostat-tuned', 'homeostat-multiscale', 'homeostat-fixedscale', 'homeostat-fused', 'likelihood', 'adwin', 'page-hinkley', 'cusum', 'ewma', 'null'] as const;
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
      return multiScaleNabDetector(FROZEN_ONLINE_PARAMS, 'homeostat');
    case 'homeostat-online':
      return multiScaleNabDetector(FROZEN_ONLINE_PARAMS, 'homeostat-online');
    case 'sentinel':
      return sentinelNabDetector('deployed');
    case 'sentinel-health':
      return sentinelNabDetector('health');
    case 'homeostat-tuned':
      return { ...multiScaleNabDetector(PEAK_GATE_MULTISCALE_PARAMS, 'homeostat-tuned'), tunedOnNab: true };
    case 'homeostat-multiscale':
      return { ...multiScaleNabDetector(), tunedOnNab: true };
    case 'homeostat-fixedscale':
      // 604 rows: the probation length of the corpus's most common file (4,032 rows).
      return { ...multiScaleNabDetector({ ...DEFAULT_MULTISCALE_PARAMS, sizingRows: 604 }, 'homeostat-fixedscale'), tunedOnNab: true };
    case 'homeostat-fused':
      return { ...homeostatNabDetector(), name: 'homeostat-fused', tunedOnNab: true };
    case 'likelihood':
      return { ...likelihoodNabDetector({}, 'likelihood'), tunedOnNab: true };
    case 'null':
      return nullNabDetector;
    default:
      return single(name);
  }
}
