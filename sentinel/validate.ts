/**
 * Validation of raw log messages into telemetry records.
 *
 * Most telemetry is metric samples, so they take a hand-rolled fast path that checks exactly the
 * rules of `metricRecord` without allocating; anything the fast path does not accept (other
 * kinds, labels, or an invalid metric) goes through zod, which also produces the reason —
 * field and rule — that the dead-letter entry carries. A property test checks that the fast
 * path never accepts what zod rejects. Nothing here throws on input.
 */
import { ID_PATTERN, SIGNAL_PATTERN, telemetryRecord, type MetricRecord, type TelemetryRecord } from './telemetry';

/** Messages larger than this are rejected before parsing (a runaway producer must not stall the sentinel). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface Rejection {
  /** Dotted path of the offending field, `(root)` for the whole record, `[i].x` inside a batch. */
  field: string;
  /** The rule broken: zod's issue code (`invalid_type`, `invalid_value`, `too_small`…), or `json`, `too_big`, `empty`. */
  rule: string;
  /** `field: message`, ready for a log line or a 400 body. */
  reason: string;
}

export type Validation = { ok: true; record: TelemetryRecord } | ({ ok: false } & Rejection);

function isId(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 128 && ID_PATTERN.test(s);
}

/** True when `o` is a valid metric record without labels; never allocates. */
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
  if (r.labels !== undefined) return false;
  const unit = r.unit;
  return unit === undefined || (typeof unit === 'string' && unit.length <= 32);
}

/** Validates one parsed value. */
export function validateValue(value: unknown, prefix = ''): Validation {
  if (isFastMetric(value)) return { ok: true, record: value };
  const parsed = telemetryRecord.safeParse(value);
  if (parsed.success) return { ok: true, record: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue.path.map(String).join('.');
  const field = prefix + (path === '' ? (prefix === '' ? '(root)' : '') : prefix === '' ? path : `.${path}`);
  return { ok: false, field: field === '' ? '(root)' : field, rule: issue.code, reason: `${field || '(root)'}: ${issue.message}` };
}

export interface DecodedMessage {
  records: TelemetryRecord[];
  /** One entry per rejected record; `value` is the original bytes (or the element, re-encoded, inside a batch). */
  rejected: (Rejection & { value: Buffer })[];
}

/** Decodes one log message: a JSON record or a JSON array of records. */
export function decodeMessage(bytes: Buffer): DecodedMessage {
  if (bytes.length > MAX_MESSAGE_BYTES) {
    return { records: [], rejected: [{ field: '(root)', rule: 'too_big', reason: `(root): message of ${bytes.length} bytes exceeds ${MAX_MESSAGE_BYTES}`, value: bytes }] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { records: [], rejected: [{ field: '(root)', rule: 'json', reason: `(root): not JSON (${(err as Error).message})`, value: bytes }] };
  }
  if (!Array.isArray(parsed)) {
    const v = validateValue(parsed);
    return v.ok ? { records: [v.record], rejected: [] } : { records: [], rejected: [{ field: v.field, rule: v.rule, reason: v.reason, value: bytes }] };
  }
  if (parsed.length === 0) {
    return { records: [], rejected: [{ field: '(root)', rule: 'empty', reason: '(root): empty batch', value: bytes }] };
  }
  const out: DecodedMessage = { records: [], rejected: [] };
  for (let i = 0; i < parsed.length; i++) {
    const v = validateValue(parsed[i], `[${i}]`);
    if (v.ok) out.records.push(v.record);
    else out.rejected.push({ field: v.field, rule: v.rule, reason: v.reason, value: Buffer.from(safeStringify(parsed[i]), 'utf8') });
  }
  return out;
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return 'null';
  }
}
