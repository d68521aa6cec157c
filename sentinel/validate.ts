/**
 * Validation of raw log messages into telemetry records: the one decoder the sentinel's engine,
 * the HTTP sources and `homeostat telemetry validate` share.
 *
 * A message is one JSON record or a JSON array of records. Each record must pass the schema
 * (`telemetry.ts`), then the sentinel's own checks (`limits`): its `ts` lies in the time window
 * around the sentinel's clock, and its maps and lists hold no more entries than the caps allow.
 * Most telemetry is metric samples, so they take a hand-rolled fast path that checks exactly the
 * rules of `metricRecord` — and that no other key is present, since zod strips unknown keys and
 * the fast path hands on the parsed object itself — without allocating; anything else goes
 * through zod, which also produces the reason (field and rule) that the dead-letter entry
 * carries. Nothing here throws on input: whatever a message holds ends as records or as
 * rejections with a reason.
 */
import type { LimitsSettings } from './config-limits';
import { ID_PATTERN, SIGNAL_PATTERN, telemetryRecord, type MetricRecord, type TelemetryRecord } from './telemetry';

/** Messages larger than this are rejected before parsing (a runaway producer must not stall the sentinel). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Records in one array message; a larger array is rejected whole (one message must not become a flood of dead letters). */
export const MAX_BATCH_RECORDS = 10_000;

export interface Rejection {
  /** Dotted path of the offending field, `(root)` for the whole record, `[i].x` inside a batch. */
  field: string;
  /** The rule broken: zod's issue code (`invalid_type`, `invalid_value`, `too_small`…), or `json`, `too_big`, `empty`, `time_window`. */
  rule: string;
  /** `field: message`, ready for a log line or a 400 body. */
  reason: string;
}

export type Validation = { ok: true; record: TelemetryRecord } | ({ ok: false } & Rejection);

/** The sentinel-side checks: caps from the config and the clock the time window is centred on. */
export interface RecordChecks {
  limits: LimitsSettings;
  /** The sentinel's clock, epoch ms. */
  now: number;
}

function isId(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 128 && ID_PATTERN.test(s);
}

/** True when `o` is a valid metric record without labels or unknown keys; never allocates. */
export function isFastMetric(o: unknown): o is MetricRecord {
  if (typeof o !== 'object' || o === null) return false;
  const r = o as Record<string, unknown>;
  if (r.kind !== 'metric' || r.v !== 1) return false;
  const ts = r.ts;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < 0 || !Number.isSafeInteger(ts)) return false;
  const value = r.value;
  if (typeof value !== 'number' || value - value !== 0) return false;
  if (!isId(r.pipeline) || !isId(r.component)) return false;
  const signal = r.signal;
  if (typeof signal !== 'string' || signal.length > 200 || !SIGNAL_PATTERN.test(signal)) return false;
  const unit = r.unit;
  if (unit !== undefined && (typeof unit !== 'string' || unit.length > 32)) return false;
  for (const k in r) {
    switch (k) {
      case 'kind':
      case 'v':
      case 'ts':
      case 'pipeline':
      case 'component':
      case 'signal':
      case 'value':
      case 'unit':
        continue;
      default:
        return false;
    }
  }
  return true;
}

function fieldOf(prefix: string, path: readonly PropertyKey[]): string {
  const p = path.map(String).join('.');
  if (p === '') return prefix === '' ? '(root)' : prefix;
  return prefix === '' ? p : `${prefix}.${p}`;
}

function keyCount(o: object | undefined): number {
  let n = 0;
  if (o) for (const _ in o) n++;
  return n;
}

/** Shows a span of milliseconds the way an operator reads it. */
export function formatSpan(ms: number): string {
  const a = Math.abs(ms);
  if (a < 1_000) return `${Math.round(a)} ms`;
  if (a < 120_000) return `${Math.round(a / 1_000)} s`;
  if (a < 7_200_000) return `${Math.round(a / 60_000)} min`;
  if (a < 172_800_000) return `${Math.round(a / 3_600_000)} h`;
  if (a < 2 * 365 * 86_400_000) return `${Math.round(a / 86_400_000)} days`;
  return `${Math.round(a / (365.25 * 86_400_000)).toLocaleString('en-US')} years`;
}

/** Every sentinel-side problem of a schema-valid record: time window first, then the caps. */
export function limitIssues(rec: TelemetryRecord, checks: RecordChecks, prefix = ''): Rejection[] {
  const out: Rejection[] = [];
  const { limits, now } = checks;
  const add = (path: string, rule: string, message: string): void => {
    const field = fieldOf(prefix, path === '' ? [] : [path]);
    out.push({ field, rule, reason: `${field}: ${message}` });
  };
  const { aheadMs, behindMs } = limits.timeWindow;
  if (rec.ts > now + aheadMs || rec.ts < now - behindMs) {
    const where = rec.ts > now ? 'ahead of' : 'behind';
    add('ts', 'time_window', `${rec.ts} lies ${formatSpan(rec.ts - now)} ${where} the sentinel clock; accepted: up to ${formatSpan(aheadMs)} ahead and ${formatSpan(behindMs)} behind (limits.timeWindow)`);
  }
  const cap = (path: string, n: number, max: number, setting: string, what: string): void => {
    if (n > max) add(path, 'too_big', `${n} ${what} exceed the cap of ${max} (limits.${setting})`);
  };
  cap('labels', keyCount(rec.labels), limits.labels, 'labels', 'entries');
  switch (rec.kind) {
    case 'profile': {
      cap('nullRates', keyCount(rec.nullRates), limits.profileFields, 'profileFields', 'fields');
      cap('ranges', keyCount(rec.ranges), limits.profileFields, 'profileFields', 'fields');
      cap('means', keyCount(rec.means), limits.profileFields, 'profileFields', 'fields');
      cap('histograms', keyCount(rec.histograms), limits.histograms, 'histograms', 'histograms');
      if (rec.histograms) for (const [f, h] of Object.entries(rec.histograms)) cap(`histograms.${f}.counts`, h.counts.length, limits.histogramBins, 'histogramBins', 'bins');
      break;
    }
    case 'schema':
      cap('fields', rec.fields.length, limits.schemaFields, 'schemaFields', 'fields');
      break;
    case 'lineage':
      cap('inputs', rec.inputs.length, limits.lineageDatasets, 'lineageDatasets', 'datasets');
      cap('outputs', rec.outputs.length, limits.lineageDatasets, 'lineageDatasets', 'datasets');
      break;
    default:
      break;
  }
  return out;
}

/** True when `limitIssues` would find nothing; allocation-free for the common case (a record without maps over any cap). */
function withinLimits(rec: TelemetryRecord, checks: RecordChecks): boolean {
  const { limits, now } = checks;
  if (rec.ts > now + limits.timeWindow.aheadMs || rec.ts < now - limits.timeWindow.behindMs) return false;
  if (rec.labels !== undefined && keyCount(rec.labels) > limits.labels) return false;
  switch (rec.kind) {
    case 'metric':
    case 'event':
    case 'model':
      return true;
    default:
      return limitIssues(rec, checks).length === 0;
  }
}

/** Validates one parsed value: the first problem, or the record. */
export function validateValue(value: unknown, prefix = '', checks?: RecordChecks): Validation {
  let record: TelemetryRecord;
  if (isFastMetric(value)) record = value;
  else {
    const parsed = telemetryRecord.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = fieldOf(prefix, issue.path);
      return { ok: false, field, rule: issue.code, reason: `${field}: ${issue.message}` };
    }
    record = parsed.data;
  }
  if (checks && !withinLimits(record, checks)) {
    const limit = limitIssues(record, checks, prefix);
    if (limit.length > 0) return { ok: false, ...limit[0] };
  }
  return { ok: true, record };
}

/** Every problem of one parsed value (schema issues, else time window and caps): what `homeostat telemetry validate` prints. */
export function recordIssues(value: unknown, checks?: RecordChecks, prefix = ''): Rejection[] {
  if (isFastMetric(value)) return checks ? limitIssues(value, checks, prefix) : [];
  const parsed = telemetryRecord.safeParse(value);
  if (parsed.success) return checks ? limitIssues(parsed.data, checks, prefix) : [];
  return parsed.error.issues.map((issue) => {
    const field = fieldOf(prefix, issue.path);
    return { field, rule: issue.code, reason: `${field}: ${issue.message}` };
  });
}

/** Receives what one message decodes to, in message order. */
export interface DecodeSink {
  record(rec: TelemetryRecord, prefix: string): void;
  /** `value`: the bytes to dead-letter — the message's own, or the batch element re-encoded. */
  reject(rejection: Rejection, value: Buffer): void;
}

/**
 * A batch element as bytes for its dead letter. An element JSON.stringify cannot encode (nested
 * deeper than the stack allows) is dead-lettered as the whole message, so no byte is lost.
 */
function elementBytes(element: unknown, message: Buffer): { value: Buffer; whole: boolean } {
  try {
    return { value: Buffer.from(JSON.stringify(element) ?? 'null', 'utf8'), whole: false };
  } catch {
    return { value: message, whole: true };
  }
}

/** Decodes one log message into `sink`: a JSON record or a JSON array of records. Never throws on input. */
export function decodeInto(bytes: Buffer, checks: RecordChecks | undefined, sink: DecodeSink): void {
  if (bytes.length > MAX_MESSAGE_BYTES) {
    sink.reject({ field: '(root)', rule: 'too_big', reason: `(root): message of ${bytes.length} bytes exceeds ${MAX_MESSAGE_BYTES}` }, bytes);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    sink.reject({ field: '(root)', rule: 'json', reason: `(root): not JSON (${(err as Error).message})` }, bytes);
    return;
  }
  if (!Array.isArray(parsed)) {
    const v = validateValue(parsed, '', checks);
    if (v.ok) sink.record(v.record, '');
    else sink.reject({ field: v.field, rule: v.rule, reason: v.reason }, bytes);
    return;
  }
  if (parsed.length === 0) {
    sink.reject({ field: '(root)', rule: 'empty', reason: '(root): empty batch' }, bytes);
    return;
  }
  if (parsed.length > MAX_BATCH_RECORDS) {
    sink.reject({ field: '(root)', rule: 'too_big', reason: `(root): batch of ${parsed.length} records exceeds ${MAX_BATCH_RECORDS}` }, bytes);
    return;
  }
  for (let i = 0; i < parsed.length; i++) {
    const prefix = `[${i}]`;
    const v = validateValue(parsed[i], prefix, checks);
    if (v.ok) {
      sink.record(v.record, prefix);
      continue;
    }
    const { value, whole } = elementBytes(parsed[i], bytes);
    const reason = whole ? `${v.reason} (the element cannot be re-encoded on its own: the whole message is attached)` : v.reason;
    sink.reject({ field: v.field, rule: v.rule, reason }, value);
  }
}

export interface DecodedMessage {
  records: TelemetryRecord[];
  /** One entry per rejected record; `value` is the original bytes (or the element, re-encoded, inside a batch). */
  rejected: (Rejection & { value: Buffer })[];
}

/** `decodeInto`, collected. */
export function decodeMessage(bytes: Buffer, checks?: RecordChecks): DecodedMessage {
  const out: DecodedMessage = { records: [], rejected: [] };
  decodeInto(bytes, checks, {
    record: (rec) => out.records.push(rec),
    reject: (r, value) => out.rejected.push({ ...r, value }),
  });
  return out;
}
