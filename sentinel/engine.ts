/**
 * The sentinel's processing core, free of I/O: log batches in; per-partition detector and fusion
 * state updated; rejected records, incident actions and lineage out.
 *
 * State is kept per log partition (a partition holds whole pipelines, since records are keyed by
 * pipeline), so a partition's state can be snapshotted with its offset and moved to another
 * sentinel on a rebalance. The hot path — a metric sample — is JSON.parse, the allocation-free
 * fast check, two map lookups and the fusion update; nothing else is allocated per record.
 */
import type { LogBatch } from '../bindings/log';
import type { DeadLetterInput } from '../bindings/log/dead-letter';
import type { FaultClass } from '../policies/taxonomy';
import { ComponentMonitor, type ComponentSnapshot, type IncidentAction, type MonitorEnv, type RecordContext } from './component';
import type { SentinelConfig } from './config';
import type { DetectorFactory } from './detectors';
import { HARD_FAULT_EVENTS, type LineageRecord, type TelemetryRecord } from './telemetry';
import { isFastMetric, MAX_MESSAGE_BYTES, validateValue } from './validate';

export interface PartitionSnapshot {
  v: 1;
  components: ComponentSnapshot[];
  /** Incident actions taken but not yet confirmed sent; re-sent after a restore unless the ledger has them. */
  pending: IncidentAction[];
}

export class PartitionState {
  readonly pipelines = new Map<string, Map<string, ComponentMonitor>>();
  pending: IncidentAction[] = [];
  /** Next offset to process. */
  offset: number;
  /** Offset of the last snapshot saved; equal to `offset` when nothing changed since. */
  savedOffset: number;

  constructor(
    readonly topic: string,
    readonly partition: number,
    offset: number,
  ) {
    this.offset = offset;
    this.savedOffset = offset;
  }

  monitors(): ComponentMonitor[] {
    const out: ComponentMonitor[] = [];
    for (const comps of this.pipelines.values()) out.push(...comps.values());
    return out;
  }
}

export interface BatchResult {
  valid: number;
  rejected: DeadLetterInput[];
  actions: IncidentAction[];
  lineage: LineageRecord[];
}

export interface EngineCounters {
  records: number;
  invalid: number;
  byKind: Record<TelemetryRecord['kind'], number>;
  processingErrors: number;
}

// A stage stuck on a record it cannot read is the signature of poison records: waiting for a
// statistical alarm (errors up, throughput down, lag growing) takes tens of seconds and is
// ambiguous with a slow-down, while the stage itself knows at once which record stops it.
const FAULT_OF_EVENT: Record<string, FaultClass> = { CRASHED: 'crash', FAILED: 'crash', EVICTED: 'node-loss', OOMKilled: 'oom', HUNG: 'hang', STALLED: 'poison-records' };

/**
 * The fault class of a hard-fault event. A crash whose message says the process could not load
 * its checkpoint is a corrupted checkpoint, not a crash a restart would fix: restarting would
 * load the same checkpoint and crash again.
 */
export function faultOfEvent(event: string, message: string | undefined): FaultClass {
  if ((event === 'CRASHED' || event === 'FAILED') && message && /corrupt(ed)?[- ]checkpoint|checkpoint.*checksum/i.test(message)) return 'corrupted-checkpoint';
  return FAULT_OF_EVENT[event] ?? 'crash';
}

/** Metrics read as a consumer's backlog: besides their detectors, their growth in seconds of work is scored. */
const LAG_SIGNAL = /(^|\.)(lag|backlog)$/;

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Engine {
  readonly partitions = new Map<string, PartitionState>();
  readonly counters: EngineCounters = {
    records: 0,
    invalid: 0,
    byKind: { metric: 0, event: 0, profile: 0, schema: 0, model: 0, lineage: 0 },
    processingErrors: 0,
  };
  private readonly env: MonitorEnv;
  private out: IncidentAction[] = [];
  private readonly ctx: RecordContext = { topic: '', partition: 0, offset: 0, seq: 0 };

  constructor(
    readonly config: SentinelConfig,
    factory: DetectorFactory,
  ) {
    this.env = { config, factory, emit: (a) => this.out.push(a) };
  }

  /** State of a partition, created empty at `offset` when it has none. */
  partition(topic: string, partition: number, offset = 0): PartitionState {
    const k = partitionKey(topic, partition);
    let s = this.partitions.get(k);
    if (!s) {
      s = new PartitionState(topic, partition, offset);
      this.partitions.set(k, s);
    }
    return s;
  }

  drop(topic: string, partition: number): void {
    this.partitions.delete(partitionKey(topic, partition));
  }

  /** Processes one batch: every record either updates state or is returned as rejected. */
  processBatch(batch: LogBatch): BatchResult {
    const state = this.partition(batch.topic, batch.partition, batch.records[0]?.offset ?? 0);
    const result: BatchResult = { valid: 0, rejected: [], actions: [], lineage: [] };
    this.out = result.actions;
    const ctx = this.ctx;
    ctx.topic = batch.topic;
    ctx.partition = batch.partition;
    for (const rec of batch.records) {
      if (rec.offset < state.offset) continue; // already part of the restored state
      ctx.offset = rec.offset;
      ctx.seq = 0;
      const before = result.rejected.length;
      this.processMessage(state, rec.value, rec.key, result);
      for (let i = before; i < result.rejected.length; i++) {
        result.rejected[i].source = { topic: batch.topic, partition: batch.partition, offset: rec.offset };
      }
      state.offset = rec.offset + 1;
    }
    state.pending.push(...result.actions);
    this.counters.invalid += result.rejected.length;
    return result;
  }

  private processMessage(state: PartitionState, bytes: Buffer, key: string | null, result: BatchResult): void {
    if (bytes.length > MAX_MESSAGE_BYTES) {
      result.rejected.push({ value: bytes, key, field: '(root)', rule: 'too_big', reason: `(root): message of ${bytes.length} bytes exceeds ${MAX_MESSAGE_BYTES}` });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      result.rejected.push({ value: bytes, key, field: '(root)', rule: 'json', reason: `(root): not JSON (${(err as Error).message})` });
      return;
    }
    if (!Array.isArray(parsed)) {
      this.processValue(state, parsed, '', bytes, key, result);
      return;
    }
    if (parsed.length === 0) {
      result.rejected.push({ value: bytes, key, field: '(root)', rule: 'empty', reason: '(root): empty batch' });
      return;
    }
    for (let i = 0; i < parsed.length; i++) this.processValue(state, parsed[i], `[${i}]`, null, key, result);
  }

  private processValue(state: PartitionState, value: unknown, prefix: string, bytes: Buffer | null, key: string | null, result: BatchResult): void {
    let rec: TelemetryRecord;
    if (isFastMetric(value)) rec = value;
    else {
      const v = validateValue(value, prefix);
      if (!v.ok) {
        result.rejected.push({ value: bytes ?? Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'), key, field: v.field, rule: v.rule, reason: v.reason });
        return;
      }
      rec = v.record;
    }
    try {
      this.route(state, rec, result);
      result.valid++;
      this.counters.records++;
      this.counters.byKind[rec.kind]++;
    } catch (err) {
      // A detector refusing a value must cost one record, never the sentinel.
      this.counters.processingErrors++;
      const reason = `${prefix || '(root)'}: could not be processed (${(err as Error).message})`;
      result.rejected.push({ value: bytes ?? Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'), key, field: prefix || '(root)', rule: 'processing', reason });
    }
  }

  private monitor(state: PartitionState, pipeline: string, component: string): ComponentMonitor {
    let comps = state.pipelines.get(pipeline);
    if (comps === undefined) {
      comps = new Map();
      state.pipelines.set(pipeline, comps);
    }
    let m = comps.get(component);
    if (m === undefined) {
      m = new ComponentMonitor(pipeline, component, this.env);
      comps.set(component, m);
    }
    return m;
  }

  private route(state: PartitionState, rec: TelemetryRecord, result: BatchResult): void {
    const ctx = this.ctx;
    const ts = rec.ts;
    switch (rec.kind) {
      case 'metric': {
        const m = this.monitor(state, rec.pipeline, rec.component);
        m.observe(rec.signal, 'metric', rec.value, ts, rec, ctx);
        const { psiReferenceBatches, nullRateWindowBatches } = this.config;
        if (rec.signal === 'throughput') m.observeThroughput(rec.labels?.instance ?? '', rec.value, ts, psiReferenceBatches, nullRateWindowBatches);
        else if (LAG_SIGNAL.test(rec.signal)) {
          const growth = m.lagGrowth(rec.signal, rec.value, psiReferenceBatches, nullRateWindowBatches, this.config.lagAlarmSeconds);
          if (growth !== undefined) m.observeScore(`${rec.signal}.growth`, this.config.metricLayer, growth, ts, rec, ctx);
        }
        return;
      }
      case 'event': {
        const m = this.monitor(state, rec.pipeline, rec.component);
        if (HARD_FAULT_EVENTS.includes(rec.event)) {
          const detail = `${rec.event}${rec.exitCode !== undefined ? ` (exit ${rec.exitCode})` : ''}${rec.osSignal ? ` ${rec.osSignal}` : ''}${rec.message ? `: ${rec.message}` : ''}`;
          m.hardFault(faultOfEvent(rec.event, rec.message), detail, ts, rec, ctx);
        } else m.lastTs = Math.max(m.lastTs, ts);
        return;
      }
      case 'profile': {
        const m = this.monitor(state, rec.pipeline, rec.component);
        m.observe(`${rec.signal}.count`, 'profile.count', rec.count, ts, rec, ctx);
        // The largest rise of any field's null rate over its trailing level, against the alarm level.
        let maxRise = 0;
        for (const k in rec.nullRates) maxRise = Math.max(maxRise, m.levelRise(`${rec.signal}/null/${k}`, rec.nullRates[k], this.config.psiReferenceBatches, this.config.nullRateWindowBatches));
        m.observeScore(`${rec.signal}.null_rate`, 'data', maxRise / this.config.nullRateAlarm, ts, rec, ctx);
        this.schema(m, rec.signal, rec.schemaFingerprint, ts, rec);
        if (rec.histograms) {
          let maxPsi = 0;
          for (const [field, h] of Object.entries(rec.histograms)) maxPsi = Math.max(maxPsi, m.psi(`${rec.signal}/${field}/${h.edges.join(',')}`, h.counts));
          m.observeScore(`${rec.signal}.psi`, 'data', Math.min(1, maxPsi / this.config.psiAlarm), ts, rec, ctx);
        }
        return;
      }
      case 'schema': {
        this.schema(this.monitor(state, rec.pipeline, rec.component), rec.signal, rec.fingerprint, ts, rec);
        return;
      }
      case 'model': {
        const m = this.monitor(state, rec.pipeline, rec.component);
        if (rec.error !== undefined) m.observe(rec.signal, 'model.error', rec.error, ts, rec, ctx);
        // Reported accuracy is a rolling figure: smooth, strongly autocorrelated, with a tiny
        // variance a control chart would call any wobble an alarm. What matters is a drop below
        // its trailing level, in points of accuracy.
        if (rec.accuracy !== undefined) {
          const drop = m.levelRise(`${rec.signal}/accuracy-loss`, 1 - rec.accuracy, this.config.psiReferenceBatches, this.config.nullRateWindowBatches);
          m.observeScore(`${rec.signal}.accuracy`, 'model', drop / this.config.accuracyDropAlarm, ts, rec, ctx);
        }
        return;
      }
      case 'lineage':
        result.lineage.push(rec);
        return;
    }
  }

  /**
   * A schema fingerprint change is a fact, not a statistical anomaly: it opens an incident at
   * once (like a crash), besides entering fusion as a score-only input.
   */
  private schema(m: ComponentMonitor, signal: string, fingerprint: string, ts: number, rec: TelemetryRecord): void {
    const key = `${signal}.schema`;
    const before = m.fingerprint(key);
    const changed = m.fingerprintChanged(key, fingerprint);
    m.observeScore(key, 'data', changed, ts, rec, this.ctx);
    if (changed === 1) m.hardFault('schema-drift', `schema of ${signal} changed: fingerprint ${before} → ${fingerprint}`, ts, rec, this.ctx);
  }

  snapshotPartition(topic: string, partition: number): PartitionSnapshot {
    const s = this.partition(topic, partition);
    return { v: 1, components: s.monitors().map((m) => m.snapshot()), pending: s.pending };
  }

  restorePartition(topic: string, partition: number, offset: number, snap: PartitionSnapshot): PartitionState {
    const s = new PartitionState(topic, partition, offset);
    for (const c of snap.components) {
      const m = ComponentMonitor.restore(c, this.env);
      let comps = s.pipelines.get(c.pipeline);
      if (!comps) {
        comps = new Map();
        s.pipelines.set(c.pipeline, comps);
      }
      comps.set(c.component, m);
    }
    s.pending = [...snap.pending];
    this.partitions.set(partitionKey(topic, partition), s);
    return s;
  }

  /** Every monitored component across owned partitions. */
  monitors(): ComponentMonitor[] {
    const out: ComponentMonitor[] = [];
    for (const p of this.partitions.values()) out.push(...p.monitors());
    return out;
  }
}
