/**
 * What the product runs, scored on NAB: the sentinel's detector configuration for a metric signal,
 * built from the sentinel's own defaults (`sentinel/config.ts`: the metric class's detectors, the
 * scoring hold and damping, the fusion EWMA and thresholds) and its own `HeldDetector`, one NAB
 * file = one component with one metric signal.
 *
 * - `sentinel` (as deployed): the score is 1 on the row where the component opens, else 0 — what
 *   the sentinel acts on. Rows are fed in order and nothing else is known; the probation length
 *   the harness hands over is ignored.
 * - `sentinel-health`: the same component's fused level H_t as the score, so NAB's sweep chooses
 *   the open threshold after the fact: what the sentinel could at best do with its detectors if
 *   its threshold had been set on NAB (labelled so wherever it is reported).
 */
import { HeldDetector } from '../../sentinel/detectors';
import { type SentinelConfig, detectorsFor, fusionFor, sentinelConfigSchema } from '../../sentinel/config';
import { type DetectorName } from '../detector';
import { registryFactory } from '../../sentinel/registry-factory';
import { ComponentHealth } from '../fusion';
import { type NabDetectorFactory, type NabStreamDetector } from './detector';

const KEY = { pipeline: 'nab', component: 'file', signal: 'value' };

/** One component with one metric signal, configured exactly as the sentinel configures it by default. */
function sentinelComponent(config: SentinelConfig): ComponentHealth {
  const { layer, detectors } = detectorsFor(config, 'metric', KEY);
  const fusion = fusionFor(config, KEY.pipeline, KEY.component);
  const total = detectors.reduce((s, d) => s + d.weight, 0) || 1;
  return new ComponentHealth({
    alpha: fusion.alpha,
    open: fusion.open,
    close: fusion.close,
    learningRate: 0.2,
    minWeight: 0,
    fireLevel: 0.5,
    detectors: detectors.map((d) => ({
      name: `${KEY.signal}#${d.detector}`,
      signal: KEY.signal,
      layer,
      weight: d.weight / total,
      detector: new HeldDetector(registryFactory.create(d.detector, d.params), config.scoring.holdUpdates, config.scoring.preAlarmPower, config.scoring.preAlarmCap),
    })),
  });
}

/**
 * `metric` replaces the metric class's detectors (every other setting stays the sentinel's
 * default): how another detector of the registry would do in the sentinel's place.
 */
export function sentinelNabDetector(mode: 'deployed' | 'health', metric?: { detector: DetectorName; params?: Record<string, unknown> }[]): NabDetectorFactory {
  const config = sentinelConfigSchema.parse(metric ? { detectors: { metric } } : {});
  const suffix = metric ? `(${metric.map((m) => m.detector).join('+')})` : '';
  return {
    name: (mode === 'deployed' ? 'sentinel' : 'sentinel-health') + suffix,
    ...(mode === 'deployed' ? { decisionThreshold: 1 } : {}),
    create: (): NabStreamDetector => {
      const health = sentinelComponent(config);
      const handle = health.signalHandle(KEY.signal);
      return {
        next: (x: number, t: number) => {
          if (!Number.isFinite(x)) return 0;
          const r = health.observeHandle(handle, x, t);
          return mode === 'deployed' ? (r.opened ? 1 : 0) : r.health;
        },
      };
    },
  };
}
