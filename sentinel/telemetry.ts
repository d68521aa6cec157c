/**
 * Telemetry records, version 1: what pipelines publish and the sentinel consumes.
 *
 * One zod schema, a discriminated union on `kind`; every record carries `v: 1`, a timestamp
 * `ts` (epoch milliseconds) and the key `pipeline` / `component` / `signal`. The Kafka / log
 * record key is the pipeline, so all of a pipeline's telemetry lands on one partition and one
 * sentinel. A log message holds one record as JSON, or a JSON array of records (producer-side
 * batching; each element is validated on its own).
 *
 * The JSON Schema published for other languages (`sentinel/telemetry.schema.json`) is generated
 * from this file by `telemetryJsonSchema()`; a test fails when the two drift apart.
 */
import { z } from 'zod';

export const TELEMETRY_VERSION = 1 as const;

/** Identifier of a pipeline or component: also used in workflow ids and metric labels. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Signal names are a little freer: `latency.p99`, `http:5xx`, `orders/null_rate`. */
export const SIGNAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;

const id = z.string().regex(ID_PATTERN, 'must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}');
const signal = z.string().regex(SIGNAL_PATTERN, 'must match [A-Za-z0-9][A-Za-z0-9._:/-]{0,199}');
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const unit = z.number().min(0).max(1);
/**
 * Names inside a record (label keys, profile fields, schema fields) and free text have fixed
 * maximum lengths, so no string can grow a record's memory; how *many* entries a map or list may
 * hold is the sentinel's `limits` setting (checked after this schema, see `sentinel/validate.ts`).
 */
const name = z.string().min(1).max(256);

const base = {
  v: z.literal(TELEMETRY_VERSION),
  /** Epoch milliseconds when the observation was made. */
  ts: z.number().int().nonnegative(),
  pipeline: id,
  component: id,
  signal,
  labels: z.record(z.string().max(128), z.string().max(1024)).optional(),
};

/** A numeric sample of a time series: lag, latency, throughput, error rate, heartbeat age… */
export const metricRecord = z.object({
  kind: z.literal('metric'),
  ...base,
  value: finite,
  unit: z.string().max(32).optional(),
});

/**
 * `STALLED`: the process is alive but cannot get past a record it cannot process (a
 * deserialization or validation failure it will not skip); `message` names the record.
 * `REPAIRED`: the healing loop verified a repair of the component (published by the sentinel
 * itself, on `POST /repaired`): what the component does from here on is its new normal.
 */
export const PROCESS_EVENTS = ['STARTED', 'EXITED', 'CRASHED', 'FAILED', 'OOMKilled', 'HUNG', 'STALLED', 'RESTARTED', 'EVICTED', 'HEARTBEAT', 'SUCCEEDED', 'NODE_NOT_READY', 'REPAIRED'] as const;
export type ProcessEvent = (typeof PROCESS_EVENTS)[number];
/**
 * Events that open an incident at once, without waiting for detectors. `NODE_NOT_READY`: the node
 * the component runs on stopped reporting Ready (the Kubernetes watcher sends it).
 */
export const HARD_FAULT_EVENTS: readonly ProcessEvent[] = ['CRASHED', 'FAILED', 'OOMKilled', 'HUNG', 'STALLED', 'EVICTED', 'NODE_NOT_READY'];

/** A job / process / pod lifecycle event. */
export const eventRecord = z.object({
  kind: z.literal('event'),
  ...base,
  event: z.enum(PROCESS_EVENTS),
  exitCode: z.number().int().optional(),
  /** Name of the OS signal that ended the process (SIGKILL…), when known. */
  osSignal: z.string().max(32).optional(),
  pid: z.number().int().nonnegative().optional(),
  message: z.string().max(4096).optional(),
});

const histogram = z
  .object({ edges: z.array(finite).min(2), counts: z.array(z.number().int().nonnegative()) })
  .refine((h) => h.counts.length === h.edges.length - 1, { message: 'counts must have one entry fewer than edges', path: ['counts'] });

/** Data-quality profile of one batch. */
export const profileRecord = z.object({
  kind: z.literal('profile'),
  ...base,
  batchId: z.string().max(200).optional(),
  /** Records in the batch. */
  count: z.number().int().nonnegative(),
  /** Hash of the batch's field names and types; a change means schema drift. */
  schemaFingerprint: z.string().min(1).max(128),
  /** Share of null / missing values per field, in [0, 1]. */
  nullRates: z.record(name, unit),
  ranges: z.record(name, z.object({ min: finite, max: finite })).optional(),
  means: z.record(name, finite).optional(),
  histograms: z.record(name, histogram).optional(),
});

/** The schema a component reads or writes, whenever it changes (or periodically). */
export const schemaRecord = z.object({
  kind: z.literal('schema'),
  ...base,
  fingerprint: z.string().min(1).max(128),
  version: z.union([z.string().max(64), z.number().int()]).optional(),
  fields: z.array(z.object({ name, type: name, nullable: z.boolean().optional() })),
});

/** A model's error stream (0/1 per labelled prediction) and / or a periodic accuracy figure. */
export const modelRecord = z
  .object({
    kind: z.literal('model'),
    ...base,
    modelVersion: z.string().max(64).optional(),
    error: z.union([z.literal(0), z.literal(1)]).optional(),
    accuracy: unit.optional(),
    /** Labelled predictions the accuracy figure is based on. */
    n: z.number().int().nonnegative().optional(),
  })
  .refine((m) => m.error !== undefined || m.accuracy !== undefined, { message: 'needs "error" (0/1) or "accuracy"', path: ['error'] });

const dataset = z.object({ namespace: z.string().min(1).max(1024), name: z.string().min(1).max(1024) });

/** Which datasets a job run read and wrote: the edges of the lineage graph. */
export const lineageRecord = z.object({
  kind: z.literal('lineage'),
  ...base,
  job: dataset,
  runId: z.string().max(256).optional(),
  eventType: z.enum(['START', 'RUNNING', 'COMPLETE', 'FAIL', 'ABORT', 'OTHER']).optional(),
  inputs: z.array(dataset),
  outputs: z.array(dataset),
});

export const telemetryRecord = z.discriminatedUnion('kind', [metricRecord, eventRecord, profileRecord, schemaRecord, modelRecord, lineageRecord]);

export type MetricRecord = z.infer<typeof metricRecord>;
export type EventRecord = z.infer<typeof eventRecord>;
export type ProfileRecord = z.infer<typeof profileRecord>;
export type SchemaRecord = z.infer<typeof schemaRecord>;
export type ModelRecord = z.infer<typeof modelRecord>;
export type LineageRecord = z.infer<typeof lineageRecord>;
export type TelemetryRecord = z.infer<typeof telemetryRecord>;
export type TelemetryKind = TelemetryRecord['kind'];
export const TELEMETRY_KINDS: readonly TelemetryKind[] = ['metric', 'event', 'profile', 'schema', 'model', 'lineage'];

/** The JSON Schema (draft 2020-12) of one telemetry record, as published in telemetry.schema.json. */
export function telemetryJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(telemetryRecord, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://homeostat.dev/schemas/telemetry.v1.json',
    title: 'Homeostat telemetry record, version 1',
    description: 'One record as JSON; a log message may also hold a JSON array of records. Key the message by pipeline.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}
