/**
 * One monitored component: its detectors fused into one health figure (`ComponentHealth`), the
 * incident decisions taken from it, and the little memory evidence needs (recent records,
 * recent scores, schema fingerprints, reference histograms).
 *
 * Everything here is a deterministic function of the records fed in (time is the records' `ts`,
 * never the wall clock), which is what lets a restored snapshot plus a replay of the log
 * reproduce exactly the decisions an uninterrupted sentinel would have taken.
 */
import { ComponentHealth, type ComponentHealthSnapshot, type HealthResult } from '../detection/fusion';
import type { Evidence, IncidentInput, IncidentTrigger } from '../workflows/shared';
import { LAYERS, type FaultClass, type Layer } from '../policies/taxonomy';
import { detectorsFor, fusionFor, type SentinelConfig, type SignalClass } from './config';
import { HeldDetector, restoreAny, type DetectorFactory } from './detectors';
import { populationStabilityIndex } from './psi';

/** Where a record came from; `seq` numbers the actions taken for one record. */
export interface RecordContext {
  topic: string;
  partition: number;
  offset: number;
  seq: number;
}

export interface IncidentAction {
  /** Deterministic: the same input yields the same key, so a replay can recognise actions already sent. */
  key: string;
  kind: 'open' | 'evidence';
  /** The record that caused it. */
  source: { topic: string; partition: number; offset: number };
  pipeline: string;
  component: string;
  evidence: Evidence;
  /** Present for `open`. */
  input?: IncidentInput;
}

export interface MonitorEnv {
  config: SentinelConfig;
  factory: DetectorFactory;
  emit(action: IncidentAction): void;
}

export interface ComponentSnapshot {
  pipeline: string;
  component: string;
  health: ComponentHealthSnapshot | null;
  signals: [string, SignalClass | 'score', Layer][];
  hardFaultAt: number | null;
  lastEvidenceAt: number | null;
  /** Absent in snapshots taken before reopening existed. */
  lastOpenAt?: number | null;
  lastTs: number;
  fingerprints: [string, string][];
  references: [string, number[]][];
  samples: unknown[];
  recent: number[];
  opened: number;
  evidenced: number;
  rawWeights: [string, number][];
}

const RECENT = 32;

export class ComponentMonitor {
  private health: ComponentHealth | null = null;
  /** signal → fusion handle (metric-like signals) ; rebuilt whenever a detector is added. */
  private handles = new Map<string, Int32Array>();
  /** Every input of the fusion, in order: [signal or score name, class, layer]. */
  private signals: [string, SignalClass | 'score', Layer][] = [];
  private hardFaultAt: number | null = null;
  /** Class of the last hard fault (not snapshotted: after a restore, debounce by time alone). */
  private hardFaultClass: FaultClass | null = null;
  private lastEvidenceAt: number | null = null;
  /** When this monitor last opened an incident (or sent evidence that may reopen one). */
  private lastOpenAt: number | null = null;
  lastTs = 0;
  /**
   * Trailing mean of the component's `throughput` metric, the unit of its lag's growth. Not
   * snapshotted: the ring it is read from is, so the next throughput record restores it.
   */
  private throughputLevel: number | undefined;
  /** Latest throughput per reporting instance, summed into the component's throughput (the lag is the group's). */
  private readonly instanceThroughput = new Map<string, { value: number; ts: number }>();
  private readonly fingerprints = new Map<string, string>();
  private readonly references = new Map<string, number[]>();
  private samples: unknown[] = [];
  private sampleNext = 0;
  /** Ring of (ts, instant s_t, H_t) triples for the health API. */
  private readonly recent = new Float64Array(RECENT * 3);
  private recentNext = 0;
  private recentCount = 0;
  opened = 0;
  evidenced = 0;

  constructor(
    readonly pipeline: string,
    readonly component: string,
    private readonly env: MonitorEnv,
  ) {}

  /** Feeds one numeric observation of a signal; creates its detectors on first sight. */
  observe(signal: string, cls: SignalClass, value: number, ts: number, sample: unknown, ctx: RecordContext): void {
    let handle = this.handles.get(signal);
    if (handle === undefined) handle = this.addSignal(signal, cls);
    const r = (this.health as ComponentHealth).observeHandle(handle, value, ts);
    this.after(r, ts, sample, ctx);
  }

  /** Sets a score-only input (schema change, PSI) and fuses. */
  observeScore(name: string, layer: Layer, score: number, ts: number, sample: unknown, ctx: RecordContext): void {
    if (!this.signals.some((s) => s[0] === name)) this.addInputs([[name, 'score', layer]]);
    const r = (this.health as ComponentHealth).observeScore(name, score > 1 ? 1 : score < 0 ? 0 : score, ts);
    this.after(r, ts, sample, ctx);
  }

  /** A CRASHED / OOMKilled / … event: opens an incident at once unless one is open already. */
  hardFault(fault: FaultClass, detail: string, ts: number, sample: unknown, ctx: RecordContext): void {
    this.lastTs = Math.max(this.lastTs, ts);
    this.pushSample(sample);
    const wasOpen = this.isIncidentOpen(ts);
    const previousHardFault = this.hardFaultAt;
    const sameClass = this.hardFaultClass === null || this.hardFaultClass === fault;
    this.hardFaultAt = ts;
    this.hardFaultClass = fault;
    if (!wasOpen) this.open({ kind: 'hard-fault', detail, at: iso(ts) }, ts, ctx, fault, true);
    // Debounced only against the previous hard fault of the same class (a crash loop), never
    // against ordinary evidence: a crash while a statistical anomaly is open must still reach (or
    // start) an incident, and a crash on a corrupt checkpoint right after a kill is news.
    else if (previousHardFault === null || !sameClass || ts - previousHardFault >= this.env.config.evidence.debounceMs) this.emitEvidence(`hard fault: ${detail}`, ts, ctx, fault, true);
  }

  /** Whether the sentinel considers an incident open: health above close, or a recent hard fault. */
  isIncidentOpen(at = this.lastTs): boolean {
    const hard = this.hardFaultAt !== null && at - this.hardFaultAt < this.env.config.hardFaultHoldMs;
    return hard || (this.health?.isOpen ?? false);
  }

  private after(r: HealthResult, ts: number, sample: unknown, ctx: RecordContext): void {
    this.lastTs = ts > this.lastTs ? ts : this.lastTs;
    this.pushSample(sample);
    const i = this.recentNext * 3;
    this.recent[i] = ts;
    this.recent[i + 1] = r.instant;
    this.recent[i + 2] = r.health;
    this.recentNext = (this.recentNext + 1) % RECENT;
    if (this.recentCount < RECENT) this.recentCount++;
    if (r.opened) {
      const hard = this.hardFaultAt !== null && ts - this.hardFaultAt < this.env.config.hardFaultHoldMs;
      const why = `health ${r.health.toFixed(3)} reached the open threshold ${(this.health as ComponentHealth).open}`;
      if (hard) this.emitEvidence(why, ts, ctx, this.faultHint(), false, this.reopenDue(ts));
      else this.open({ kind: 'health', detail: why, at: iso(ts) }, ts, ctx, this.faultHint(), false);
    } else if (r.isOpen && r.instant >= (this.env.config.evidence.minScore ?? (this.health as ComponentHealth).open) && this.debounced(ts)) {
      this.emitEvidence(`anomaly continues: s=${r.instant.toFixed(3)}, health ${r.health.toFixed(3)}`, ts, ctx, this.faultHint(), false, this.reopenDue(ts));
    }
  }

  /**
   * An anomaly still alarming `reopenAfterMs` after the last incident was opened for this
   * component outlived that incident's plausible life: its evidence may open a new one.
   */
  private reopenDue(ts: number): boolean {
    return this.lastOpenAt !== null && ts - this.lastOpenAt >= this.env.config.reopenAfterMs;
  }

  private debounced(ts: number): boolean {
    return this.lastEvidenceAt === null || ts - this.lastEvidenceAt >= this.env.config.evidence.debounceMs;
  }

  private open(trigger: IncidentTrigger, ts: number, ctx: RecordContext, fault: FaultClass | undefined, hardFault: boolean): void {
    const evidence = this.buildEvidence(trigger.detail, ts, fault, hardFault);
    this.lastEvidenceAt = ts;
    this.lastOpenAt = ts;
    this.opened++;
    this.env.emit({
      key: this.actionKey(ctx),
      kind: 'open',
      source: { topic: ctx.topic, partition: ctx.partition, offset: ctx.offset },
      pipeline: this.pipeline,
      component: this.component,
      evidence,
      input: { pipeline: this.pipeline, component: this.component, trigger, evidence: [], ...(fault ? { faultClass: fault } : {}) },
    });
  }

  private emitEvidence(summary: string, ts: number, ctx: RecordContext, fault: FaultClass | undefined, hardFault: boolean, persistent = false): void {
    this.lastEvidenceAt = ts;
    // A persistent anomaly may open a new incident: it is the new incident's opening from here on.
    if (persistent) this.lastOpenAt = ts;
    this.evidenced++;
    this.env.emit({
      key: this.actionKey(ctx),
      kind: 'evidence',
      source: { topic: ctx.topic, partition: ctx.partition, offset: ctx.offset },
      pipeline: this.pipeline,
      component: this.component,
      evidence: { ...this.buildEvidence(summary, ts, fault, hardFault), ...(persistent ? { persistent: true } : {}) },
    });
  }

  private actionKey(ctx: RecordContext): string {
    return `${ctx.topic}:${ctx.partition}:${ctx.offset}:${this.pipeline}/${this.component}:${ctx.seq++}`;
  }

  private buildEvidence(summary: string, ts: number, fault: FaultClass | undefined, hardFault: boolean): Evidence {
    const h = this.health;
    const vector = h?.vector();
    const layer = vector ? LAYERS.reduce((best, l) => (vector[l] > vector[best] ? l : best), LAYERS[0]) : undefined;
    return {
      at: iso(ts),
      source: 'sentinel',
      summary,
      ...(layer ? { layer } : {}),
      ...(fault ? { faultHint: fault } : {}),
      ...(h ? { health: h.health, anomalyVector: h.scoresByName() } : {}),
      detectors: (h?.contributions() ?? []).slice(0, 10).map((c) => ({
        name: c.name,
        score: c.score,
        detail: `signal ${c.signal} (${c.layer}), weight ${c.weight.toFixed(3)}, contribution ${c.contribution.toFixed(3)}`,
      })),
      samples: this.orderedSamples(),
      ...(hardFault ? { hardFault: true } : {}),
    };
  }

  /**
   * The fault class the alarming contributors point at. When several alarm at once, the most
   * specific explanation wins (a schema change explains null rates; a model metric explains
   * itself better than the memory of the process that serves it), else the strongest one.
   */
  private faultHint(): FaultClass | undefined {
    // Inputs configured with weight 0 are shown, not trusted: they name no fault.
    const contributions = (this.health?.contributions() ?? []).filter((c) => c.weight > 0);
    const top = contributions[0];
    if (!top || top.score <= 0) return undefined;
    const alarming = contributions.filter((c) => c.score >= ALARM_SCORE);
    const hint = (cs: typeof contributions): FaultClass | undefined =>
      cs
        .map((c) => hintFor(c.signal, this.classOf(c.signal)))
        .filter((h): h is FaultClass => h !== undefined)
        .sort((a, b) => HINT_SPECIFICITY.indexOf(a) - HINT_SPECIFICITY.indexOf(b))[0];
    // Nothing in alarm names a class (e.g. only latency rose): the strongest contributor that does.
    return hint(alarming) ?? contributions.filter((c) => c.score > 0).map((c) => hintFor(c.signal, this.classOf(c.signal))).find((h) => h !== undefined);
  }

  private classOf(signal: string): SignalClass | 'score' | undefined {
    return this.signals.find((x) => x[0] === signal)?.[1];
  }

  private pushSample(sample: unknown): void {
    const n = this.env.config.evidence.samples;
    if (n === 0) return;
    if (this.samples.length < n) this.samples.push(sample);
    else this.samples[this.sampleNext] = sample;
    this.sampleNext = (this.sampleNext + 1) % n;
  }

  private orderedSamples(): unknown[] {
    const n = this.samples.length;
    if (n < this.env.config.evidence.samples) return [...this.samples];
    return [...this.samples.slice(this.sampleNext), ...this.samples.slice(0, this.sampleNext)];
  }

  private addSignal(signal: string, cls: SignalClass): Int32Array {
    const { layer } = detectorsFor(this.env.config, cls, { pipeline: this.pipeline, component: this.component, signal });
    this.addInputs([[signal, cls, layer]]);
    return this.handles.get(signal) as Int32Array;
  }

  /**
   * Adds inputs to the fusion. ComponentHealth has a fixed detector set, so the new one is built
   * from the old one's snapshot plus the new detectors: the EWMA level, open state and every
   * existing detector's state carry over.
   */
  private addInputs(inputs: [string, SignalClass | 'score', Layer][]): void {
    const { config, factory } = this.env;
    const newSpecs: ComponentHealthSnapshot['detectors'] = [];
    for (const [name, cls, layer] of inputs) {
      if (cls === 'score') {
        newSpecs.push({ name, signal: name, layer, weight: config.qualityInputWeight, score: 0, peak: 0 });
        continue;
      }
      const { detectors } = detectorsFor(config, cls, { pipeline: this.pipeline, component: this.component, signal: name });
      for (const d of detectors) {
        const det = new HeldDetector(factory.create(d.detector, d.params), config.scoring.holdUpdates, config.scoring.preAlarmPower, config.scoring.preAlarmCap);
        newSpecs.push({ name: `${name}#${d.detector}`, signal: name, layer, weight: d.weight, score: 0, peak: 0, detector: det.snapshot() });
      }
    }
    this.signals.push(...inputs);
    const fusion = fusionFor(config, this.pipeline, this.component);
    const base: ComponentHealthSnapshot = this.health?.snapshot() ?? {
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
    const detectors = [...base.detectors, ...newSpecs];
    // The sentinel does not learn weights: every input keeps its configured share.
    const total = detectors.reduce((s, d) => s + this.rawWeight(d.name, d.weight), 0) || 1;
    const weighted = detectors.map((d) => ({ ...d, weight: this.rawWeight(d.name, d.weight) / total }));
    for (const d of newSpecs) this.rawWeights.set(d.name, d.weight);
    this.health = ComponentHealth.restore({ ...base, detectors: weighted }, restoreAny(factory));
    this.handles = new Map();
    for (const [name, cls] of this.signals) if (cls !== 'score' && !this.handles.has(name)) this.handles.set(name, this.health.signalHandle(name));
  }

  private readonly rawWeights = new Map<string, number>();
  private rawWeight(name: string, fallback: number): number {
    return this.rawWeights.get(name) ?? fallback;
  }

  fingerprint(key: string): string | undefined {
    return this.fingerprints.get(key);
  }

  /**
   * Score of a profile/schema fingerprint: 1 when it changed since the last one seen — except a
   * change back to the baseline (the first fingerprint seen), which is a recovery: a schema
   * rollback, or the producer reverting, must not open an incident of its own.
   */
  fingerprintChanged(signal: string, fingerprint: string): number {
    const last = this.fingerprints.get(signal);
    const baselineKey = `${signal}@baseline`;
    const baseline = this.fingerprints.get(baselineKey) ?? last ?? fingerprint;
    this.fingerprints.set(signal, fingerprint);
    this.fingerprints.set(baselineKey, baseline);
    return last !== undefined && last !== fingerprint && fingerprint !== baseline ? 1 : 0;
  }

  /**
   * Population stability index of the recent histograms of `key` against the ones just before
   * them: the last `psiWindowBatches` batches summed, against the `psiReferenceBatches` batches
   * that preceded them. One batch is a second of data (≈ 100 rows), and PSI between two such
   * batches is mostly sampling noise (0.1–0.5 on identical distributions); sums of a thousand
   * rows against three thousand bring the noise floor to ≈ 0.01, so a real shift stands out.
   * The reference trails the window, so a population that has moved and stayed becomes the new
   * normal after a while (the repair — retraining — adapts to it) instead of alarming forever,
   * and a baseline learned during an early fault does not poison the detector for good.
   * Returns 0 until both windows are full. (The batches live flattened, oldest first, in
   * `references` under `key@ring`, so snapshots keep their shape.)
   */
  psi(key: string, counts: readonly number[]): number {
    const { psiReferenceBatches, psiWindowBatches } = this.env.config;
    const sums = this.trailingSums(key, counts, psiReferenceBatches, psiWindowBatches);
    return sums ? populationStabilityIndex(sums.reference, sums.current) : 0;
  }

  /**
   * How far the recent level of a per-batch rate (a field's null rate) has risen above its
   * trailing level: mean of the last `windowBatches` values minus the mean of the
   * `referenceBatches` before them, 0 until both are full. A fixed limit would need each
   * field's contract; a detector on a signal that sat at exactly 0 has no variance to scale a
   * jump by. (Values live in `references` under `key@ring`, like the PSI histograms.)
   */
  levelRise(key: string, value: number, referenceBatches: number, windowBatches: number): number {
    const sums = this.trailingSums(key, [value], referenceBatches, windowBatches);
    return sums ? sums.current[0]! / windowBatches - sums.reference[0]! / referenceBatches : 0;
  }

  /**
   * One instance's `throughput`: the component's throughput (the sum over instances that
   * reported within the last 3 s — the lag is the whole group's) joins its trailing level.
   */
  observeThroughput(instance: string, value: number, ts: number, referenceBatches: number, windowBatches: number): void {
    this.instanceThroughput.set(instance, { value, ts });
    let total = 0;
    for (const [k, v] of this.instanceThroughput) {
      if (ts - v.ts > 3_000) this.instanceThroughput.delete(k);
      else total += v.value;
    }
    const sums = this.trailingSums('throughput/level', [total], referenceBatches, windowBatches);
    if (sums) this.throughputLevel = sums.reference[0]! / referenceBatches;
  }

  /**
   * A consumer lag's rise over its trailing level in seconds of the component's trailing
   * throughput, divided by `alarmSeconds` (1 = alarm); undefined until that throughput is known.
   */
  lagGrowth(signal: string, value: number, referenceBatches: number, windowBatches: number, alarmSeconds: number): number | undefined {
    if (this.throughputLevel === undefined) return undefined;
    const rise = this.levelRise(`${signal}/growth`, value, referenceBatches, windowBatches);
    return rise / (alarmSeconds * Math.max(this.throughputLevel, 1));
  }

  /**
   * Appends one batch (`batch.length` values, position by position) to the ring kept in
   * `references` under `key@ring` and returns, per position, the sum over the
   * `referenceBatches` before the last `windowBatches` and the sum over those last ones —
   * undefined until the ring holds both. A batch of another length than the ring's starts over.
   */
  private trailingSums(key: string, batch: readonly number[], referenceBatches: number, windowBatches: number): { reference: number[]; current: number[] } | undefined {
    const width = batch.length;
    const ringKey = `${key}@ring`;
    const previous = this.references.get(ringKey) ?? [];
    const capacity = (referenceBatches + windowBatches) * width;
    const ring = previous.length % width === 0 ? [...previous, ...batch] : [...batch];
    const kept = ring.length > capacity ? ring.slice(ring.length - capacity) : ring;
    this.references.set(ringKey, kept);
    if (kept.length < capacity) return undefined;
    const reference = new Array<number>(width).fill(0);
    const current = new Array<number>(width).fill(0);
    const split = referenceBatches * width;
    for (let i = 0; i < kept.length; i++) (i < split ? reference : current)[i % width] += kept[i]!;
    return { reference, current };
  }

  /** Live view for the health API. */
  view(): ComponentView {
    const h = this.health;
    const recent: ComponentView['recent'] = [];
    for (let k = 0; k < this.recentCount; k++) {
      const i = ((this.recentNext - this.recentCount + k + RECENT) % RECENT) * 3;
      recent.push({ at: iso(this.recent[i]), score: this.recent[i + 1], health: this.recent[i + 2] });
    }
    return {
      pipeline: this.pipeline,
      component: this.component,
      health: h?.health ?? 0,
      healthIndex: h?.healthIndex ?? 1,
      layers: h?.vector() ?? { infrastructure: 0, data: 0, model: 0 },
      open: this.isIncidentOpen(),
      fusionOpen: h?.isOpen ?? false,
      thresholds: { open: h?.open ?? this.env.config.fusion.open, close: h?.close ?? this.env.config.fusion.close },
      detectors: (h?.contributions() ?? []).map((c) => ({ name: c.name, signal: c.signal, layer: c.layer, score: c.score, weight: c.weight })),
      recent,
      lastRecordAt: this.lastTs > 0 ? iso(this.lastTs) : null,
      incidentsOpened: this.opened,
      evidenceSent: this.evidenced,
    };
  }

  /** Layer vector and health for metrics. */
  get level(): number {
    return this.health?.health ?? 0;
  }

  snapshot(): ComponentSnapshot {
    return {
      pipeline: this.pipeline,
      component: this.component,
      health: this.health?.snapshot() ?? null,
      signals: this.signals.map((s) => [...s] as [string, SignalClass | 'score', Layer]),
      hardFaultAt: this.hardFaultAt,
      lastEvidenceAt: this.lastEvidenceAt,
      lastOpenAt: this.lastOpenAt,
      lastTs: this.lastTs,
      fingerprints: [...this.fingerprints],
      references: [...this.references],
      samples: this.orderedSamples(),
      recent: [...this.view().recent.flatMap((r) => [Date.parse(r.at), r.score, r.health])],
      opened: this.opened,
      evidenced: this.evidenced,
      rawWeights: [...this.rawWeights],
    };
  }

  static restore(s: ComponentSnapshot, env: MonitorEnv): ComponentMonitor {
    const m = new ComponentMonitor(s.pipeline, s.component, env);
    if (s.health) {
      m.health = ComponentHealth.restore(s.health, restoreAny(env.factory));
    }
    for (const [k, v] of s.rawWeights) m.rawWeights.set(k, v);
    m.signals = s.signals.map((x) => [...x] as [string, SignalClass | 'score', Layer]);
    if (m.health) for (const [name, cls] of m.signals) if (cls !== 'score' && !m.handles.has(name)) m.handles.set(name, m.health.signalHandle(name));
    m.hardFaultAt = s.hardFaultAt;
    m.lastEvidenceAt = s.lastEvidenceAt;
    m.lastOpenAt = s.lastOpenAt ?? null;
    m.lastTs = s.lastTs;
    for (const [k, v] of s.fingerprints) m.fingerprints.set(k, v);
    for (const [k, v] of s.references) m.references.set(k, v);
    m.samples = [...s.samples];
    m.sampleNext = s.samples.length % Math.max(1, env.config.evidence.samples);
    for (let k = 0; k + 2 < s.recent.length; k += 3) {
      const i = m.recentNext * 3;
      m.recent[i] = s.recent[k];
      m.recent[i + 1] = s.recent[k + 1];
      m.recent[i + 2] = s.recent[k + 2];
      m.recentNext = (m.recentNext + 1) % RECENT;
      if (m.recentCount < RECENT) m.recentCount++;
    }
    m.opened = s.opened;
    m.evidenced = s.evidenced;
    return m;
  }
}

export interface ComponentView {
  pipeline: string;
  component: string;
  /** H_t: EWMA anomaly level, 0 healthy … 1 every detector alarming. */
  health: number;
  /** 1 − H_t. */
  healthIndex: number;
  layers: Record<Layer, number>;
  /** The sentinel's incident state (fusion hysteresis or a recent hard fault). */
  open: boolean;
  fusionOpen: boolean;
  thresholds: { open: number; close: number };
  detectors: { name: string; signal: string; layer: Layer; score: number; weight: number }[];
  recent: { at: string; score: number; health: number }[];
  lastRecordAt: string | null;
  incidentsOpened: number;
  evidenceSent: number;
}

function iso(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
}

/** A contributor scoring at least this is in alarm (detections are held at 1). */
const ALARM_SCORE = 0.5;

/** Most specific first: when several signals alarm, the first hint here names the fault. */
const HINT_SPECIFICITY: readonly FaultClass[] = ['schema-drift', 'null-spike', 'poison-records', 'accuracy-drop', 'distribution-shift', 'late-data', 'hang', 'lag', 'oom'];

function hintFor(signal: string, cls: SignalClass | 'score' | undefined): FaultClass | undefined {
  if (signal.endsWith('.schema')) return 'schema-drift';
  if (signal.endsWith('.null_rate')) return 'null-spike';
  if (signal.endsWith('.psi')) return 'distribution-shift';
  if (signal.endsWith('.count')) return 'late-data';
  // A model's own quality signals. (Not every signal of a model-layer component: the lag or
  // latency of the process serving a model says nothing about its accuracy.)
  if (cls === 'model.error' || cls === 'model.accuracy' || (cls === 'score' && signal.endsWith('.accuracy'))) return 'accuracy-drop';
  // Records a stage cannot process (parse or validation errors) are what poison records look like.
  if (/(^|\.)(errors|parse_errors|rejected)$/i.test(signal)) return 'poison-records';
  if (/lag|backlog|queue/i.test(signal)) return 'lag';
  if (/heartbeat/i.test(signal)) return 'hang';
  if (/mem|rss|heap/i.test(signal)) return 'oom';
  return undefined;
}
