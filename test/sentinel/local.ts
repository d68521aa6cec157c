/**
 * A sentinel on a fresh embedded log (a real SQLite file) for tests that drive its production
 * path — `Sentinel.handleBatch`, the dead-letter topic, the dispatcher and the ledger — without
 * servers. Incident actions go to an opener the test supplies (a recording one by default).
 */
import path from 'node:path';
import { deadLetterTopic, EmbeddedLog, parseDeadLetter, type DeadLetterEntry, type Log, type LogBatch, type LogRecord } from '../../bindings/log';
import { parseSentinelConfig, type SentinelConfigInput } from '../../sentinel/config';
import type { IncidentOpener } from '../../sentinel/incidents';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import { CountingOpener, tempDir } from './harness';

export interface LocalSentinel<O extends IncidentOpener> {
  sentinel: Sentinel;
  log: EmbeddedLog;
  opener: O;
  dir: string;
  topic: string;
  /** Every dead letter written so far. */
  deadLetters(): DeadLetterEntry[];
  close(): Promise<void>;
}

export function localSentinel<O extends IncidentOpener = CountingOpener>(
  options: {
    config?: SentinelConfigInput;
    opener?: O;
    clock?: () => number;
    consumer?: Record<string, string | number>;
    lines?: string[];
    /** Wraps the log the sentinel sees (to make it fail on cue). */
    wrapLog?: (log: EmbeddedLog) => Log;
  } = {},
): LocalSentinel<O> {
  const dir = tempDir('local-sentinel');
  const log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
  const opener = (options.opener ?? new CountingOpener()) as O;
  const topic = 't';
  const sentinel = new Sentinel({
    log: options.wrapLog ? options.wrapLog(log) : log,
    config: parseSentinelConfig(options.config ?? {}),
    factory: registryFactory,
    opener,
    stateFile: path.join(dir, 'state.db'),
    topic,
    partitions: 2,
    consumer: { memberId: 'm1', pollMs: 5, heartbeatMs: 100, ...(options.consumer ?? {}) },
    ...(options.clock ? { clock: options.clock } : {}),
    logger: (l) => options.lines?.push(l),
  });
  return {
    sentinel,
    log,
    opener,
    dir,
    topic,
    deadLetters: () => {
      const out: DeadLetterEntry[] = [];
      const dlq = deadLetterTopic(topic);
      try {
        for (const h of log.heads(dlq)) out.push(...log.readSync(dlq, h.partition, h.start_offset, 1_000_000).map(parseDeadLetter));
      } catch {
        // No dead letter yet: the topic does not exist.
      }
      return out;
    },
    close: async () => {
      await sentinel.stop();
      await log.close();
    },
  };
}

/** A log batch of partition `partition` whose offsets start at `start`. */
export function logBatch(topic: string, partition: number, start: number, values: readonly (Buffer | string)[], key = 'p'): LogBatch {
  const records: LogRecord[] = values.map((v, i) => ({
    topic,
    partition,
    offset: start + i,
    key,
    value: typeof v === 'string' ? Buffer.from(v, 'utf8') : v,
    timestamp: 0,
    headers: {},
  }));
  return { topic, partition, records, highWatermark: start + records.length };
}
