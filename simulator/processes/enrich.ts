/**
 * Enrich: parses events against the consumer contract (schema v1), keeps rolling features per key
 * (exponentially weighted mean and variance of `amount`), and checkpoints that state together with
 * its input offsets. On (re)assignment it resumes from the checkpoint's offsets, not the group's
 * commits — so its state and its position never disagree; records between the checkpoint and a
 * crash are processed again and the idempotent sink absorbs the repeats.
 *
 * Failure behaviour, deliberately strict like a real consumer that must not lose data:
 *  - an unparseable record stalls the partition (retried with backoff, `errors` rises, lag grows)
 *    unless quarantine is on, in which case it goes to the dead-letter topic;
 *  - a record breaking the contract (null / missing / mistyped field) is imputed and flows on,
 *    visible only in the data profile — unless quarantine is on;
 *  - a corrupt latest checkpoint stops the process at start (it refuses to run from bad state).
 */
import { FileCheckpointStore } from '../../bindings/checkpoints';
import { sendToDeadLetter, type DeadLetterInput } from '../../bindings/log';
import type { EmbeddedConsumerOptions } from '../../bindings/log/embedded-consumer';
import type { LogBatch, LogRecord, TopicPartition, TopicPartitionOffset } from '../../bindings/log/types';
import { isHomeostatError } from '../../common/errors';
import { groupId, pipelinePaths } from '../config';
import { BASE_SCHEMA, hashBytes, PROFILED_NUMERIC } from '../events';
import { profileBatch } from '../profile';
import { shedDecision, shedSettingSchema } from '../shedding';
import { runMain, STAGE_BATCH_RECORDS, sleep, type Runtime } from './runtime';

export const ENRICH_STREAM = 'enrich';
const ALPHA = 0.1;
export const CORRUPT_CHECKPOINT_EXIT = 3;

interface KeyState {
  n: number;
  mean: number;
  variance: number;
}
export interface EnrichState {
  keys: Record<string, KeyState>;
}

type Parsed = { ok: true; row: Record<string, unknown>; violations: string[] } | { ok: false; reason: string };

/** Applies the field map and coercions a schema repair installed, then checks the v1 contract. */
export function parseEvent(value: Buffer, fieldMap: Record<string, string>, coerce: Record<string, string>): Parsed {
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'not an object' };
  const row: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [from, to] of Object.entries(fieldMap)) {
    if (from in row && !(to in row)) {
      row[to] = row[from];
      delete row[from];
    }
  }
  for (const [field, type] of Object.entries(coerce)) {
    if (type === 'number' && typeof row[field] === 'string' && row[field] !== '' && Number.isFinite(Number(row[field]))) row[field] = Number(row[field]);
  }
  if (typeof row.id !== 'string') return { ok: false, reason: 'id: missing' };
  const violations: string[] = [];
  for (const [field, type] of Object.entries(BASE_SCHEMA.fields)) {
    const v = row[field];
    if (v === null || v === undefined) violations.push(`${field}: missing or null`);
    else if (typeof v !== type) violations.push(`${field}: expected ${type}, got ${typeof v}`);
  }
  return { ok: true, row, violations };
}

export function features(row: Record<string, unknown>, state: EnrichState): Record<string, number> {
  const key = typeof row.key === 'string' ? row.key : '?';
  const amount = typeof row.amount === 'number' ? row.amount : NaN;
  const ks = state.keys[key] ?? { n: 0, mean: 50, variance: 625 };
  const z = Number.isFinite(amount) ? (amount - ks.mean) / Math.sqrt(Math.max(ks.variance, 1e-6)) : 0;
  if (Number.isFinite(amount)) {
    const diff = amount - ks.mean;
    const mean = ks.mean + ALPHA * diff;
    state.keys[key] = { n: ks.n + 1, mean, variance: (1 - ALPHA) * (ks.variance + ALPHA * diff * diff) };
  }
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    x1: num(row.x1),
    x2: num(row.x2),
    amount_norm: Number.isFinite(amount) ? (amount - 50) / 25 : 0,
    cat_a: row.category === 'a' ? 1 : 0,
    cat_b: row.category === 'b' ? 1 : 0,
    amount_z: Math.max(-6, Math.min(6, z)),
  };
}

const STALL_REPORT_EVERY_MS = 10_000;

async function main(rt: Runtime): Promise<void> {
  const input = rt.topic('events');
  const output = rt.topic('enriched');
  const checkpoints = new FileCheckpointStore(pipelinePaths(rt.config.dir).checkpoints);
  const state: EnrichState = { keys: {} };
  const positions = new Map<string, TopicPartitionOffset>();
  let lastCheckpointAt = Date.now();
  let processed = 0;
  let quarantined = 0;
  let shed = 0;
  let errors = 0;
  let latencySum = 0;
  let latencyN = 0;
  let profileRows: Record<string, unknown>[] = [];
  let windowStart = Date.now();
  /** The record the stage is stuck on, and when it last said so (re-said while it stays stuck). */
  let stall: { at: string; reportedAt: number } | null = null;

  const restore = async (assigned: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> => {
    const requested = rt.settings().restoreFrom;
    let ckpt;
    try {
      ckpt = typeof requested === 'string' ? await checkpoints.load<EnrichState>(ENRICH_STREAM, requested) : await checkpoints.latest<EnrichState>(ENRICH_STREAM);
    } catch (err) {
      if (isHomeostatError(err) && err.code === 'HS_INTEGRITY') {
        rt.emit({ kind: 'process', event: 'crashed', pid: process.pid, exitCode: CORRUPT_CHECKPOINT_EXIT, reason: `corrupt-checkpoint: ${err.message}` });
        await sleep(rt.config.telemetryEveryMs + 200);
        process.stderr.write(`enrich: refusing to start: ${err.message}\n`);
        process.exit(CORRUPT_CHECKPOINT_EXIT);
      }
      throw err;
    }
    if (typeof requested === 'string') rt.state.deleteSetting('enrich', 'restoreFrom');
    if (!ckpt) return [];
    state.keys = ckpt.state.keys ?? {};
    const offsets = ckpt.offsets.filter((o) => assigned.some((a) => a.topic === o.topic && a.partition === o.partition));
    for (const o of offsets) positions.set(`${o.topic}:${o.partition}`, o);
    process.stderr.write(`enrich: restored ${ckpt.meta.id} (${Object.keys(state.keys).length} keys)\n`);
    // A fresh checkpoint at once: a restart right after a requested restore resumes from here.
    if (typeof requested === 'string') await checkpoints.save(ENRICH_STREAM, offsets, state);
    return offsets;
  };

  const options: EmbeddedConsumerOptions = {
    groupId: groupId(rt.config, 'enrich'),
    topics: [input],
    fromBeginning: true,
    autoCommit: false,
    maxBatchRecords: STAGE_BATCH_RECORDS,
    memberId: rt.instance,
    pollMs: 50,
    hooks: { onAssign: restore },
  };
  const consumer = rt.log.consumer(options);
  rt.onStop(async () => {
    await consumer.stop();
    await checkpoints.save(ENRICH_STREAM, [...positions.values()], state);
  });

  const handle = async (batch: LogBatch): Promise<void> => {
    const settings = rt.settings();
    const quarantine = settings.quarantine === true;
    const fieldMap = (settings.fieldMap ?? {}) as Record<string, string>;
    const coerce = (settings.coerce ?? {}) as Record<string, string>;
    const shedSetting = shedSettingSchema.safeParse(settings.shed);
    const out: { key: string | null; value: string }[] = [];
    const dead: DeadLetterInput[] = [];
    const accounted: { id: string; kind: 'quarantined' | 'shed'; component: string; reason: string }[] = [];
    let next = batch.records[0].offset;
    let stalled: LogRecord | null = null;
    for (const record of batch.records) {
      const id = record.headers.id ?? '?';
      const parsed = parseEvent(record.value, fieldMap, coerce);
      if (!parsed.ok || parsed.violations.length > 0) {
        const reason = parsed.ok ? parsed.violations.join('; ') : parsed.reason;
        if (quarantine) {
          dead.push({ value: record.value, key: record.key, reason, rule: parsed.ok ? 'contract' : 'parse', source: { topic: batch.topic, partition: batch.partition, offset: record.offset } });
          accounted.push({ id, kind: 'quarantined', component: 'enrich', reason });
          next = record.offset + 1;
          continue;
        }
        if (!parsed.ok) {
          stalled = record;
          break;
        }
      }
      if (shedSetting.success && shedDecision(shedSetting.data, id, record.headers.priority ?? (parsed.ok ? String(parsed.row.priority) : 'low'))) {
        accounted.push({ id, kind: 'shed', component: 'enrich', reason: `load shedding (${shedSetting.data.mode})` });
        next = record.offset + 1;
        continue;
      }
      const row = parsed.ok ? parsed.row : {};
      const f = features(row, state);
      out.push({ key: record.key, value: JSON.stringify({ id, key: row.key, ts: row.ts, h: hashBytes(record.value), schemaVersion: row.schemaVersion, priority: row.priority, features: f }) });
      profileRows.push({ ...row, amount_z: f.amount_z });
      if (typeof row.ts === 'number') {
        latencySum += Date.now() - row.ts;
        rt.recordLatency(Date.now() - row.ts);
        latencyN++;
      }
      next = record.offset + 1;
    }
    await rt.paced(out.length, (from, to) => void (processed += to - from));
    if (dead.length > 0) await sendToDeadLetter(rt.log, input, dead);
    if (out.length > 0) await rt.log.append(output, out);
    if (accounted.length > 0) rt.state.recordAccounted(accounted);
    quarantined += dead.length;
    shed += accounted.length - dead.length;
    const pos = { topic: batch.topic, partition: batch.partition, offset: next };
    positions.set(`${batch.topic}:${batch.partition}`, pos);
    await consumer.commit([pos]);
    if (stalled) {
      // Do not skip what cannot be read: go back to it and retry after a pause.
      errors++;
      const at = `${batch.topic}/${batch.partition}@${stalled.offset}`;
      process.stderr.write(`enrich: cannot parse record at ${at}; retrying\n`);
      // Say so as an event once per record, and again while it stays stuck (an earlier report may
      // have been absorbed by another incident's hold-off).
      if (stall?.at !== at || Date.now() - stall.reportedAt >= STALL_REPORT_EVERY_MS) {
        stall = { at, reportedAt: Date.now() };
        rt.emit({ kind: 'process', event: 'stalled', pid: process.pid, reason: `cannot parse record at ${at} (id ${stalled.headers.id ?? '?'})` });
      }
      consumer.seek(pos);
      await sleep(500);
    }
    if (Date.now() - lastCheckpointAt >= rt.config.checkpointEveryMs) {
      await checkpoints.save(ENRICH_STREAM, [...positions.values()], state);
      await checkpoints.prune(ENRICH_STREAM, 20);
      lastCheckpointAt = Date.now();
    }
  };

  await consumer.run(async (batch) => {
    if (rt.stopping()) return;
    await handle(batch);
  });

  // Metrics once a second, also while nothing flows (a stall shows as throughput 0, errors > 0).
  const report = setInterval(() => {
    const secs = (Date.now() - windowStart) / 1000;
    // Throughput counts consumed records, set-aside ones included; `quarantined` and `shed` say how many.
    rt.emit({ kind: 'metric', name: 'throughput', value: (processed + quarantined + shed) / secs, unit: 'records/s' });
    rt.emit({ kind: 'metric', name: 'errors', value: errors });
    rt.emit({ kind: 'metric', name: 'quarantined', value: quarantined });
    rt.emit({ kind: 'metric', name: 'shed', value: shed });
    if (latencyN > 0) rt.emit({ kind: 'metric', name: 'latency_ms', value: latencySum / latencyN, unit: 'ms' });
    const profile = profileRows.length > 0 ? profileBatch(profileRows, Object.keys(BASE_SCHEMA.fields), [...PROFILED_NUMERIC, 'amount_z']) : undefined;
    if (profile) rt.emit({ kind: 'profile', stage: 'input', profile });
    rt.setInfo({
      positions: [...positions.values()],
      throughput: (processed + quarantined + shed) / secs,
      quarantine: rt.settings().quarantine === true,
      profile: profile ? { at: Date.now(), rows: profile.rows, schemaFingerprint: profile.schemaFingerprint, nullRates: profile.nullRates } : undefined,
    });
    processed = quarantined = shed = errors = latencySum = latencyN = 0;
    profileRows = [];
    windowStart = Date.now();
  }, 1_000);
  rt.onStop(async () => clearInterval(report));
}

if (require.main === module) runMain('enrich', main);
