/**
 * One monitored component: the facts its records yield (read by `sentinel/records/`) fused into
 * one health figure (`ComponentHealth`), and the incident decisions taken from it — open, send
 * evidence, mark an anomaly persistent — with the little memory evidence needs (recent records,
 * recent health).
 *
 * Everything here is a deterministic function of the records fed in (time is the records' `ts`,
 * never the wall clock), and all of it is in the snapshot (`component-snapshot.ts`), which is what
 * lets a restored snapshot plus a replay of the log reproduce exactly the decisions an
 * uninterrupted sentinel would have taken — all but the measurement trail (`trail.ts`), which is
 * left out on purpose: it informs learning, never detection.
 */
import type { ComponentHealth, HealthResult } from '../detection/fusion';
import type { Evidence, IncidentInput, IncidentTrigger } from '../workflows/shared';
import type { FaultClass, Layer } from '../policies/taxonomy';
import { componentSnapshot, upgradeSnapshot, type ComponentSnapshot } from './component-snapshot';
import type { SentinelConfig, SignalClass } from './config';
import type { DetectorFactory } from './detectors';
import { buildEvidence, faultHint, iso } from './evidence';
import { FusionInputs } from './fusion-inputs';
import { SignalMemory } from './memory';
import { readRecord, type ComponentRecord, type FactSink, type ReadContext } from './records';
import { Trail } from './trail';

export type { ComponentSnapshot } from './component-snapshot';

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

const RECENT = 32;

export class ComponentMonitor implements FactSink {
  readonly memory: SignalMemory;
  /** Per-second health, latency, quality and loss for outcome samples; not in the snapshot (see trail.ts). */
  readonly trail = new Trail();
  private readonly fusion: FusionInputs;
  private hardFaultAt: number | null = null;
  /** Class of the last hard fault: a crash loop is debounced, a fault of another class is news. */
  private hardFaultClass: FaultClass | null = null;
  private lastEvidenceAt: number | null = null;
  /** When this monitor last opened an incident (or sent evidence that may reopen one). */
  private lastOpenAt: number | null = null;
  lastTs = 0;
  private samples: unknown[] = [];
  private sampleNext = 0;
  /** Ring of (ts, instant s_t, H_t) triples for the health API. */
  private readonly recent = new Float64Array(RECENT * 3);
  private recentNext = 0;
  private recentCount = 0;
  opened = 0;
  evidenced = 0;
  /** Verified repairs seen (REPAIRED events): each one re-armed detection. */
  rearmed = 0;
  /** Record time of the last verified repair. */
  private repairedAt: number | null = null;
  // The record being read: set by `read`, used by the fact methods its reader calls.
  private ts = 0;
  private rec: unknown = null;
  private ctx: RecordContext = { topic: '', partition: 0, offset: 0, seq: 0 };
  private sampled = false;
  private readonly readCtx: ReadContext;

  constructor(
    readonly pipeline: string,
    readonly component: string,
    private readonly env: MonitorEnv,
    memory = new SignalMemory(),
  ) {
    this.memory = memory;
    this.fusion = new FusionInputs(pipeline, component, env.config, env.factory);
    this.readCtx = { memory, facts: this, config: env.config };
  }

  /** Reads one record of this component: its reader's facts are fused and decided on here. */
  read(rec: ComponentRecord, ctx: RecordContext): void {
    this.ts = rec.ts;
    this.rec = rec;
    this.ctx = ctx;
    this.sampled = false;
    this.trail.record(rec);
    readRecord(rec, this.readCtx);
  }

  /** The component's fused health; null before its first input. */
  private get health(): ComponentHealth | null {
    return this.fusion.health;
  }

  sample(signal: string, cls: SignalClass, value: number): void {
    const input = this.fusion.signal(signal) ?? this.fusion.addSignal(signal, cls, this.ts);
    input.lastTs = this.ts;
    this.after((this.health as ComponentHealth).observeHandle(input.handle as Int32Array, value, this.ts));
  }

  score(name: string, layer: Layer, score: number): void {
    const input = this.fusion.score(name) ?? this.fusion.addScore(name, layer, this.ts);
    input.lastTs = this.ts;
    this.after((this.health as ComponentHealth).observeScore(name, score > 1 ? 1 : score < 0 ? 0 : score, this.ts));
  }

  /** A CRASHED / OOMKilled / schema change: opens an incident at once unless one is open already. */
  hardFault(fault: FaultClass, detail: string): void {
    const ts = this.ts;
    this.lastTs = Math.max(this.lastTs, ts);
    this.takeSample();
    const wasOpen = this.isIncidentOpen(ts);
    const previousHardFault = this.hardFaultAt;
    const sameClass = this.hardFaultClass === null || this.hardFaultClass === fault;
    this.hardFaultAt = ts;
    this.hardFaultClass = fault;
    if (!wasOpen) this.open({ kind: 'hard-fault', detail, at: iso(ts) }, fault, true);
    // Debounced only against the previous hard fault of the same class (a crash loop), never
    // against ordinary evidence: a crash while a statistical anomaly is open must still reach (or
    // start) an incident, and a crash on a corrupt checkpoint right after a kill is news.
    else if (previousHardFault === null || !sameClass || ts - previousHardFault >= this.env.config.evidence.debounceMs) this.emitEvidence(`hard fault: ${detail}`, fault, true);
  }

  alive(): void {
    this.lastTs = Math.max(this.lastTs, this.ts);
  }

  /**
   * A verified repair (a REPAIRED event): from here on the component's behaviour is its new
   * normal. Without this the sentinel kept judging it against what it learnt during the fault —
   * detectors that had relearnt the faulty level saw the recovery as a change, PSI windows still
   * held fault-time batches, and evidence of the old anomaly turned `persistent` and opened a
   * second incident seconds after the heal. So the fusion and its detectors start afresh (as on
   * the component's first record), the data and model windows refill from post-repair data
   * (capacity measures stay: see `clearAfterRepair`), and the old incident can no longer be
   * reopened by persistence: a fault that is really still there opens a new incident once the
   * fresh detectors see it. Schema baselines and a hard fault's hold are kept: the first is the
   * contract, the second keeps a restart's aftermath out of new incidents.
   */
  repaired(_detail: string): void {
    this.lastTs = Math.max(this.lastTs, this.ts);
    this.fusion.reset();
    this.memory.clearAfterRepair();
    this.lastOpenAt = null;
    this.repairedAt = this.ts;
    this.rearmed++;
  }

  /**
   * Whether the sentinel considers an incident open: health above close, or a recent hard fault
   * not yet followed by a verified repair. The hold still keeps a repaired restart's aftermath out
   * of new incidents (see `after`), but a component whose repair was verified no longer counts as
   * anomalous: otherwise a downstream symptom of the fault (a sink's latency) was diagnosed as
   * rooted here and handed over, starting a second incident moments after the heal.
   */
  isIncidentOpen(at = this.lastTs): boolean {
    const hard = this.hardFaultAt !== null && at - this.hardFaultAt < this.env.config.hardFaultHoldMs && !(this.repairedAt !== null && this.repairedAt >= this.hardFaultAt);
    return hard || (this.health?.isOpen ?? false);
  }

  private after(r: HealthResult): void {
    const ts = this.ts;
    this.lastTs = ts > this.lastTs ? ts : this.lastTs;
    this.takeSample();
    this.trail.health(ts, 1 - r.health);
    const i = this.recentNext * 3;
    this.recent[i] = ts;
    this.recent[i + 1] = r.instant;
    this.recent[i + 2] = r.health;
    this.recentNext = (this.recentNext + 1) % RECENT;
    if (this.recentCount < RECENT) this.recentCount++;
    // Fusion's open state decides the PSI hold of the records that follow (see holdReferences).
    this.memory.holdReferences(r.isOpen ? ts : undefined);
    if (r.opened) {
      const hard = this.hardFaultAt !== null && ts - this.hardFaultAt < this.env.config.hardFaultHoldMs;
      const why = `health ${r.health.toFixed(3)} reached the open threshold ${(this.health as ComponentHealth).open}`;
      if (hard) this.emitEvidence(why, this.hint(), false, this.reopenDue(ts));
      else this.open({ kind: 'health', detail: why, at: iso(ts) }, this.hint(), false);
    } else if (r.isOpen && r.instant >= (this.env.config.evidence.minScore ?? (this.health as ComponentHealth).open) && this.debounced(ts)) {
      this.emitEvidence(`anomaly continues: s=${r.instant.toFixed(3)}, health ${r.health.toFixed(3)}`, this.hint(), false, this.reopenDue(ts));
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

  private hint(): FaultClass | undefined {
    return faultHint(this.health, (signal) => this.fusion.classOf(signal));
  }

  private open(trigger: IncidentTrigger, fault: FaultClass | undefined, hardFault: boolean): void {
    const ts = this.ts;
    const key = this.actionKey();
    const evidence = { id: key, ...buildEvidence(this.health, trigger.detail, ts, fault, hardFault, this.orderedSamples()) };
    this.lastEvidenceAt = ts;
    this.lastOpenAt = ts;
    this.opened++;
    this.env.emit({
      key,
      kind: 'open',
      source: { topic: this.ctx.topic, partition: this.ctx.partition, offset: this.ctx.offset },
      pipeline: this.pipeline,
      component: this.component,
      evidence,
      input: { pipeline: this.pipeline, component: this.component, trigger, evidence: [], ...(fault ? { faultClass: fault } : {}) },
    });
  }

  private emitEvidence(summary: string, fault: FaultClass | undefined, hardFault: boolean, persistent = false): void {
    const ts = this.ts;
    this.lastEvidenceAt = ts;
    // A persistent anomaly may open a new incident: it is the new incident's opening from here on.
    if (persistent) this.lastOpenAt = ts;
    this.evidenced++;
    const key = this.actionKey();
    this.env.emit({
      key,
      kind: 'evidence',
      source: { topic: this.ctx.topic, partition: this.ctx.partition, offset: this.ctx.offset },
      pipeline: this.pipeline,
      component: this.component,
      evidence: { id: key, ...buildEvidence(this.health, summary, ts, fault, hardFault, this.orderedSamples()), ...(persistent ? { persistent: true } : {}) },
    });
  }

  private actionKey(): string {
    const c = this.ctx;
    return `${c.topic}:${c.partition}:${c.offset}:${this.pipeline}/${this.component}:${c.seq++}`;
  }

  /** Keeps the record being read among the recent ones, once. */
  private takeSample(): void {
    if (this.sampled) return;
    this.sampled = true;
    const n = this.env.config.evidence.samples;
    if (n === 0) return;
    if (this.samples.length < n) this.samples.push(this.rec);
    else this.samples[this.sampleNext] = this.rec;
    this.sampleNext = (this.sampleNext + 1) % n;
  }

  private orderedSamples(): unknown[] {
    const n = this.samples.length;
    if (n < this.env.config.evidence.samples) return [...this.samples];
    return [...this.samples.slice(this.sampleNext), ...this.samples.slice(0, this.sampleNext)];
  }

  /**
   * Forgets inputs and remembered series silent since `before` (record time). Returns true when
   * the whole component has been silent that long: the caller drops it, its trail with it.
   */
  evictIdle(before: number): boolean {
    if (this.lastTs < before) return true;
    this.memory.evict(before);
    this.fusion.evictIdle(before);
    return false;
  }

  /** Fusion inputs held (eviction keeps this bounded). */
  get inputCount(): number {
    return this.fusion.size;
  }

  /** Live view for the health API. */
  view(): ComponentView {
    const h = this.health;
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
      recent: this.recentTriples().map(([at, score, health]) => ({ at: iso(at), score, health })),
      lastRecordAt: this.lastTs > 0 ? iso(this.lastTs) : null,
      incidentsOpened: this.opened,
      evidenceSent: this.evidenced,
      repairsSeen: this.rearmed,
    };
  }

  private recentTriples(): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (let k = 0; k < this.recentCount; k++) {
      const i = ((this.recentNext - this.recentCount + k + RECENT) % RECENT) * 3;
      out.push([this.recent[i], this.recent[i + 1], this.recent[i + 2]]);
    }
    return out;
  }

  /** Fused level H_t, for metrics. */
  get level(): number {
    return this.health?.health ?? 0;
  }

  snapshot(): ComponentSnapshot {
    return {
      v: 2,
      pipeline: this.pipeline,
      component: this.component,
      ...this.fusion.snapshot(),
      hardFaultAt: this.hardFaultAt,
      hardFaultClass: this.hardFaultClass,
      lastEvidenceAt: this.lastEvidenceAt,
      lastOpenAt: this.lastOpenAt,
      lastTs: this.lastTs,
      memory: this.memory.snapshot(),
      samples: this.orderedSamples(),
      recent: this.recentTriples().flat(),
      opened: this.opened,
      evidenced: this.evidenced,
      rearmed: this.rearmed,
      repairedAt: this.repairedAt,
    };
  }

  /** Rebuilds a monitor from `snapshot()` (or a snapshot of the previous format); throws on a malformed one. */
  static restore(snapshot: unknown, env: MonitorEnv): ComponentMonitor {
    const s = componentSnapshot.parse(upgradeSnapshot(snapshot));
    const m = new ComponentMonitor(s.pipeline, s.component, env, SignalMemory.restore(s.memory));
    m.fusion.restore(s);
    m.hardFaultAt = s.hardFaultAt;
    m.hardFaultClass = s.hardFaultClass;
    m.lastEvidenceAt = s.lastEvidenceAt;
    m.lastOpenAt = s.lastOpenAt;
    m.lastTs = s.lastTs;
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
    m.rearmed = s.rearmed ?? 0;
    m.repairedAt = s.repairedAt ?? null;
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
  /** Verified repairs announced to this sentinel (REPAIRED events), each of which re-armed detection. */
  repairsSeen: number;
}
