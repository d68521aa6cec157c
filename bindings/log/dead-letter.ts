/**
 * The dead-letter convention shared by every producer of rejected records (sentinel validation,
 * the quarantine repair template): the original bytes go, unchanged, to `<topic>.dlq` with the
 * key of the source record, and the reason travels in headers so a reader never has to parse a
 * value that is by definition malformed.
 */
import { z } from 'zod';
import { isHomeostatError } from '../../common/errors';
import { deadLetterTopic, type AppendResult, type Log, type LogRecord } from './types';

export const DLQ_HEADERS = {
  reason: 'hs-dlq-reason',
  field: 'hs-dlq-field',
  rule: 'hs-dlq-rule',
  sourceTopic: 'hs-dlq-source-topic',
  sourcePartition: 'hs-dlq-source-partition',
  sourceOffset: 'hs-dlq-source-offset',
  at: 'hs-dlq-at',
} as const;

export interface DeadLetterInput {
  /** The exact bytes that were rejected. */
  value: Buffer;
  key?: string | null;
  /** Human-readable reason, e.g. `value: expected number, received string`. */
  reason: string;
  /** Dotted path of the offending field (`(root)` for the record as a whole). */
  field?: string;
  /** The rule it broke (`invalid_type`, `json`, `too_small`, …). */
  rule?: string;
  source?: { topic: string; partition?: number; offset?: number };
}

export interface DeadLetterEntry extends DeadLetterInput {
  at: number;
  dlqPartition: number;
  dlqOffset: number;
}

/** Appends rejected records to the dead-letter topic of `topic`. */
export async function sendToDeadLetter(log: Log, topic: string, entries: readonly DeadLetterInput[]): Promise<AppendResult[]> {
  if (entries.length === 0) return [];
  const now = Date.now();
  return log.append(
    deadLetterTopic(topic),
    entries.map((e) => {
      const headers: Record<string, string> = { [DLQ_HEADERS.reason]: e.reason, [DLQ_HEADERS.at]: String(now) };
      if (e.field !== undefined) headers[DLQ_HEADERS.field] = e.field;
      if (e.rule !== undefined) headers[DLQ_HEADERS.rule] = e.rule;
      const src = e.source ?? { topic };
      headers[DLQ_HEADERS.sourceTopic] = src.topic;
      if (src.partition !== undefined) headers[DLQ_HEADERS.sourcePartition] = String(src.partition);
      if (src.offset !== undefined) headers[DLQ_HEADERS.sourceOffset] = String(src.offset);
      return { key: e.key ?? null, value: e.value, headers, timestamp: now };
    }),
  );
}

const intString = z.string().regex(/^\d+$/).transform(Number);
const headersSchema = z.object({
  [DLQ_HEADERS.reason]: z.string(),
  [DLQ_HEADERS.at]: intString,
  [DLQ_HEADERS.sourceTopic]: z.string(),
  [DLQ_HEADERS.field]: z.string().optional(),
  [DLQ_HEADERS.rule]: z.string().optional(),
  [DLQ_HEADERS.sourcePartition]: intString.optional(),
  [DLQ_HEADERS.sourceOffset]: intString.optional(),
});

/** Reads a dead-letter record back; throws a ZodError when the headers are not ours. */
export function parseDeadLetter(record: LogRecord): DeadLetterEntry {
  const h = headersSchema.parse(record.headers);
  return {
    value: record.value,
    key: record.key,
    reason: h[DLQ_HEADERS.reason],
    field: h[DLQ_HEADERS.field],
    rule: h[DLQ_HEADERS.rule],
    source: { topic: h[DLQ_HEADERS.sourceTopic], partition: h[DLQ_HEADERS.sourcePartition], offset: h[DLQ_HEADERS.sourceOffset] },
    at: h[DLQ_HEADERS.at],
    dlqPartition: record.partition,
    dlqOffset: record.offset,
  };
}

/**
 * Every dead letter of `topic` (read from `<topic>.dlq`, all partitions), oldest first; with
 * `since`, those written at or after it (epoch ms); with `limit`, the newest `limit` of them.
 * Records in the dead-letter topic that do not carry our headers are skipped.
 */
export async function readDeadLetters(log: Log, topic: string, options: { since?: number; limit?: number } = {}): Promise<DeadLetterEntry[]> {
  const dlq = deadLetterTopic(topic);
  let earliest: readonly { partition: number; offset: number }[];
  try {
    earliest = await log.earliestOffsets(dlq);
  } catch (err) {
    if (isHomeostatError(err) && err.code === 'HS_NOT_FOUND') return [];
    throw err;
  }
  const latest = await log.latestOffsets(dlq);
  const out: DeadLetterEntry[] = [];
  for (const { partition, offset: start } of earliest) {
    const end = latest.find((l) => l.partition === partition)?.offset ?? start;
    for (let offset = start; offset < end; ) {
      const records = await log.read(dlq, partition, offset, Math.min(5_000, end - offset));
      if (records.length === 0) break;
      for (const r of records) {
        const parsed = headersSchema.safeParse(r.headers);
        if (parsed.success && (options.since === undefined || parsed.data[DLQ_HEADERS.at] >= options.since)) out.push(parseDeadLetter(r));
      }
      offset = records[records.length - 1].offset + 1;
    }
  }
  out.sort((a, b) => a.at - b.at || a.dlqPartition - b.dlqPartition || a.dlqOffset - b.dlqOffset);
  return options.limit !== undefined ? out.slice(Math.max(0, out.length - options.limit)) : out;
}
