/**
 * The sentinel's bounds, as sections of its config (`sentinel/config.ts`): what a record may hold
 * and when it may be dated (`limits`), how long silent pipelines, components and signals are
 * kept (`eviction`), how many incident actions may wait for Temporal and how failed sends are
 * retried (`dispatch`), and how long the telemetry and dead-letter topics keep their records
 * (`retention`). Every default is sane for one sentinel watching a few hundred components.
 */
import { z } from 'zod';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MIB = 1024 * 1024;

/**
 * Records dated outside [clock − behindMs, clock + aheadMs] of the sentinel's clock are
 * dead-lettered (field `ts`, rule `time_window`): a timestamp in microseconds or seconds, or a
 * producer with a broken clock, would otherwise make every later time difference of that
 * component meaningless. Caps bound the maps and lists of one record (excess is dead-lettered,
 * rule `too_big`, naming the setting).
 */
export const limitsSettings = z.strictObject({
  timeWindow: z
    .strictObject({
      aheadMs: z.number().int().nonnegative().default(5 * MINUTE),
      behindMs: z.number().int().nonnegative().default(DAY),
    })
    .default({ aheadMs: 5 * MINUTE, behindMs: DAY }),
  /** Entries of `labels`. */
  labels: z.number().int().positive().default(32),
  /** Fields of a profile's `nullRates`, `ranges` and `means` (each). */
  profileFields: z.number().int().positive().default(256),
  /** Histograms of one profile. */
  histograms: z.number().int().positive().default(32),
  /** Bins of one histogram (`counts` entries; `edges` has one more). */
  histogramBins: z.number().int().positive().default(100),
  /** Fields of a `schema` record. */
  schemaFields: z.number().int().positive().default(1_000),
  /** Inputs and outputs of a `lineage` record (each). */
  lineageDatasets: z.number().int().positive().default(200),
});
export type LimitsSettings = z.output<typeof limitsSettings>;

/**
 * A component, signal or derived series (a field's null-rate ring, a histogram's window, an
 * instance's throughput) that saw no record for `idleMs` of record time — measured against the
 * newest record of its partition — is forgotten; a pipeline goes with its last component. A
 * series that comes back starts afresh (its reference is learned again).
 */
export const evictionSettings = z.strictObject({
  idleMs: z.number().int().positive().default(DAY),
  /** Record time between two sweeps of a partition. */
  sweepEveryMs: z.number().int().positive().default(5 * MINUTE),
});
export type EvictionSettings = z.output<typeof evictionSettings>;

/**
 * Incident actions waiting to reach Temporal. At `maxQueued` the sentinel stops consuming (every
 * owned partition pauses at its next message) until the queue is back below `resumeBelow`:
 * nothing is dropped, the log holds the rest (a component over `maxPerComponent` has its further
 * evidence dead-lettered instead, so it cannot fill the queue alone). Transient failures (Temporal unavailable, a
 * deadline) are retried with exponential backoff for as long as they last; errors of unknown
 * kind `maxUncertainAttempts` times; permanent ones (a payload Temporal refuses, a bad
 * namespace) are dead-lettered with their reason at once.
 */
export const dispatchSettings = z
  .strictObject({
    maxQueued: z.number().int().positive().default(10_000),
    resumeBelow: z.number().int().nonnegative().optional(),
    /**
     * Actions one component may have waiting. One whose incident cannot take them (a workflow
     * Temporal keeps refusing as overloaded) must not fill the whole queue and stop everybody:
     * its evidence beyond this is dead-lettered with the reason (rule `undeliverable`).
     */
    maxPerComponent: z.number().int().positive().default(1_000),
    /** Components whose actions are in flight at once. */
    concurrency: z.number().int().positive().default(16),
    /** A send that has not answered by then is abandoned and retried (its delivery is checked first). */
    sendTimeoutMs: z.number().int().positive().default(15_000),
    backoffInitialMs: z.number().int().positive().default(100),
    backoffMaxMs: z.number().int().positive().default(5_000),
    maxUncertainAttempts: z.number().int().positive().default(10),
  })
  .refine((d) => d.resumeBelow === undefined || d.resumeBelow < d.maxQueued, { message: 'must be below maxQueued', path: ['resumeBelow'] });
export type DispatchSettings = z.output<typeof dispatchSettings>;

const topicRetention = z.strictObject({
  /** Records older than this (by their log timestamp) are deleted. */
  ms: z.number().int().positive(),
  /** Per partition: the oldest records go once a partition holds more value bytes than this. */
  bytes: z.number().int().positive(),
});
export type TopicRetention = z.output<typeof topicRetention>;

/**
 * Retention of the telemetry topic and its dead-letter topic. Kafka topics the sentinel creates
 * get it as `retention.ms` / `retention.bytes`; on the embedded log the sentinel enforces it
 * every `checkEveryMs` of wall time.
 */
export const retentionSettings = z.strictObject({
  telemetry: topicRetention.default({ ms: 7 * DAY, bytes: 1024 * MIB }),
  deadLetters: topicRetention.default({ ms: 14 * DAY, bytes: 256 * MIB }),
  checkEveryMs: z.number().int().positive().default(MINUTE),
});
export type RetentionSettings = z.output<typeof retentionSettings>;

/**
 * Bounds of the HTTP inputs (`POST /alertmanager`). Alertmanager's webhook `max_alerts` should be
 * at most `maxAlertsPerRequest` (it truncates a group instead of the sentinel refusing it). An
 * alert re-sent with the same labels and status within `alertDebounceMs` — Alertmanager repeats
 * every firing group at each `repeat_interval` and after every restart — is acknowledged but not
 * forwarded again, so a noisy group cannot flood an incident with identical evidence.
 */
export const httpSettings = z.strictObject({
  maxAlertsPerRequest: z.number().int().positive().default(500),
  /** Labels of one alert after merging the group's common labels. */
  maxLabels: z.number().int().positive().default(64),
  /** Bytes of one label or annotation name or value. */
  maxLabelBytes: z.number().int().positive().default(4_096),
  alertDebounceMs: z.number().int().nonnegative().default(5 * MINUTE),
  /** Distinct alerts remembered for debouncing; the oldest are forgotten first. */
  debounceEntries: z.number().int().positive().default(10_000),
});
export type HttpSettings = z.output<typeof httpSettings>;

export const LIMIT_DEFAULTS = {
  http: httpSettings.parse({}),
  limits: limitsSettings.parse({}),
  eviction: evictionSettings.parse({}),
  dispatch: dispatchSettings.parse({}),
  retention: retentionSettings.parse({}),
};
