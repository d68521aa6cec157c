/**
 * A component's fusion (`ComponentHealth`) together with the inputs feeding it: signals with
 * detectors (created on first sight from the config's rules for their class) and score-only
 * inputs (schema change, null-rate rise, PSI). ComponentHealth has a fixed detector set, so adding
 * or evicting an input rebuilds it from its own snapshot: the EWMA level, the open state and every
 * remaining detector's state carry over, and each input keeps its configured share of the weight
 * (the sentinel does not learn weights).
 */
import { ComponentHealth, type ComponentHealthSnapshot } from '../detection/fusion';
import { LAYERS, type Layer } from '../policies/taxonomy';
import type { InputEntry } from './component-snapshot';
import { detectorsFor, fusionFor, type SentinelConfig, type SignalClass } from './config';
import { HeldDetector, restoreAny, type DetectorFactory } from './detectors';

/** One fusion input: a signal with detectors, or a score-only input. */
export interface FusionInput {
  name: string;
  cls: SignalClass | 'score';
  layer: Layer;
  /** Fusion handle of a signal's detectors; null for score-only inputs. */
  handle: Int32Array | null;
  /** Record time of its last observation (eviction). */
  lastTs: number;
}

export interface FusionInputsSnapshot {
  health: ComponentHealthSnapshot | null;
  inputs: InputEntry[];
  rawWeights: [string, number][];
}

export class FusionInputs {
  health: ComponentHealth | null = null;
  /** In fusion order; signals with detectors and score-only inputs have separate names. */
  private inputs: FusionInput[] = [];
  private readonly signals = new Map<string, FusionInput>();
  private readonly scores = new Map<string, FusionInput>();
  private readonly rawWeights = new Map<string, number>();

  constructor(
    private readonly pipeline: string,
    private readonly component: string,
    private readonly config: SentinelConfig,
    private readonly factory: DetectorFactory,
  ) {}

  signal(name: string): FusionInput | undefined {
    return this.signals.get(name);
  }

  score(name: string): FusionInput | undefined {
    return this.scores.get(name);
  }

  classOf(signal: string): SignalClass | 'score' | undefined {
    return this.signals.get(signal)?.cls ?? this.scores.get(signal)?.cls;
  }

  get size(): number {
    return this.inputs.length;
  }

  /** A signal's detectors, as the config's rules for its class say. */
  addSignal(name: string, cls: SignalClass, ts: number): FusionInput {
    const { layer } = detectorsFor(this.config, cls, { pipeline: this.pipeline, component: this.component, signal: name });
    return this.add({ name, cls, layer }, ts);
  }

  addScore(name: string, layer: Layer, ts: number): FusionInput {
    return this.add({ name, cls: 'score', layer }, ts);
  }

  private add(added: { name: string; cls: SignalClass | 'score'; layer: Layer }, ts: number): FusionInput {
    const { config, factory } = this;
    const newSpecs: ComponentHealthSnapshot['detectors'] = [];
    if (added.cls === 'score') newSpecs.push({ name: added.name, signal: added.name, layer: added.layer, weight: config.qualityInputWeight, score: 0, peak: 0 });
    else {
      const { detectors } = detectorsFor(config, added.cls, { pipeline: this.pipeline, component: this.component, signal: added.name });
      for (const d of detectors) {
        const det = new HeldDetector(factory.create(d.detector, d.params), config.scoring.holdUpdates, config.scoring.preAlarmPower, config.scoring.preAlarmCap);
        newSpecs.push({ name: `${added.name}#${d.detector}`, signal: added.name, layer: added.layer, weight: d.weight, score: 0, peak: 0, detector: det.snapshot() });
      }
    }
    for (const d of newSpecs) this.rawWeights.set(d.name, d.weight);
    const base = this.health?.snapshot() ?? this.emptyHealth();
    this.rebuild([...base.detectors, ...newSpecs], base, [...this.inputs, { ...added, handle: null, lastTs: ts }]);
    return (added.cls === 'score' ? this.scores.get(added.name) : this.signals.get(added.name)) as FusionInput;
  }

  /**
   * After a verified repair: the fused level and open state start at 0, and every input starts
   * afresh — score-only inputs and detectors that relearn their baseline are forgotten (they come
   * back with fresh detectors on their next observation), while a detector that keeps its
   * reference on purpose (the error stream's Bernoulli CUSUM: relearning it from the first
   * predictions after a restart took a biased sample as normal) keeps it and only restarts.
   */
  reset(): void {
    if (!this.health) return;
    const base = this.health.snapshot();
    const restore = restoreAny(this.factory);
    const kept: ComponentHealthSnapshot['detectors'] = [];
    const keptSignals = new Set<string>();
    for (const d of base.detectors) {
      if (d.detector === undefined) continue;
      const det = restore(d.detector);
      if (!(det instanceof HeldDetector) || !det.rearm()) continue;
      kept.push({ ...d, score: 0, peak: 0, detector: det.snapshot() });
      keptSignals.add(d.signal);
    }
    // A signal keeps its input only when all of its detectors were kept.
    const whole = [...keptSignals].filter((sig) => base.detectors.filter((d) => d.signal === sig).length === kept.filter((d) => d.signal === sig).length);
    const detectors = kept.filter((d) => whole.includes(d.signal));
    const fresh: ComponentHealthSnapshot = { ...base, health: 0, layerHealth: base.layerHealth.map(() => 0), isOpen: false, count: 0, openedAt: null };
    this.rebuild(detectors, fresh, this.inputs.filter((i) => i.cls !== 'score' && whole.includes(i.name)));
  }

  /** Forgets the inputs not observed since `before` (record time). */
  evictIdle(before: number): void {
    const idle = this.inputs.filter((i) => i.lastTs < before);
    if (idle.length === 0 || !this.health) return;
    const gone = new Set(idle.map((i) => `${i.cls === 'score' ? 's' : 'd'}:${i.name}`));
    const base = this.health.snapshot();
    const isGone = (d: ComponentHealthSnapshot['detectors'][number]): boolean => gone.has(`${d.detector === undefined ? 's' : 'd'}:${d.signal}`);
    for (const d of base.detectors) if (isGone(d)) this.rawWeights.delete(d.name);
    this.rebuild(
      base.detectors.filter((d) => !isGone(d)),
      base,
      this.inputs.filter((i) => i.lastTs >= before),
    );
  }

  private emptyHealth(): ComponentHealthSnapshot {
    const fusion = fusionFor(this.config, this.pipeline, this.component);
    return {
      type: 'homeostat.fusion.component-health',
      version: 1,
      options: { alpha: fusion.alpha, open: fusion.open, close: fusion.close, learningRate: 0.2, minWeight: 0, fireLevel: 0.5 },
      detectors: [],
      health: 0,
      layerHealth: LAYERS.map(() => 0),
      isOpen: false,
      count: 0,
      openedAt: null,
    };
  }

  /** Rebuilds the fusion over `detectors` (their state carried from `base`) and the input tables. */
  private rebuild(detectors: ComponentHealthSnapshot['detectors'], base: ComponentHealthSnapshot, inputs: FusionInput[]): void {
    this.inputs = inputs;
    if (detectors.length === 0) {
      this.health = null;
      this.index();
      return;
    }
    const total = detectors.reduce((s, d) => s + (this.rawWeights.get(d.name) ?? d.weight), 0) || 1;
    const weighted = detectors.map((d) => ({ ...d, weight: (this.rawWeights.get(d.name) ?? d.weight) / total }));
    this.health = ComponentHealth.restore({ ...base, detectors: weighted }, restoreAny(this.factory));
    this.index();
  }

  private index(): void {
    this.signals.clear();
    this.scores.clear();
    for (const input of this.inputs) {
      if (input.cls === 'score') this.scores.set(input.name, input);
      else {
        input.handle = this.health ? this.health.signalHandle(input.name) : null;
        this.signals.set(input.name, input);
      }
    }
  }

  snapshot(): FusionInputsSnapshot {
    return {
      health: this.health?.snapshot() ?? null,
      inputs: this.inputs.map((i): InputEntry => [i.name, i.cls, i.layer, i.lastTs]),
      rawWeights: [...this.rawWeights],
    };
  }

  /** Restores from `snapshot()`'s parts (the health snapshot is validated by ComponentHealth). */
  restore(s: { health: unknown; inputs: InputEntry[]; rawWeights: [string, number][] }): void {
    for (const [k, v] of s.rawWeights) this.rawWeights.set(k, v);
    this.inputs = s.inputs.map(([name, cls, layer, lastTs]) => ({ name, cls, layer, handle: null, lastTs }));
    this.health = s.health ? ComponentHealth.restore(s.health, restoreAny(this.factory)) : null;
    this.index();
  }
}
