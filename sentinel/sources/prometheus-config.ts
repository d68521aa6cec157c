/**
 * Configuration of the Prometheus telemetry source: per pipeline, PromQL expressions mapped to a
 * component and a signal. Each expression is evaluated on an interval through Prometheus's HTTP
 * API and every series it returns becomes a telemetry record of the usual schema, so the pipeline
 * needs no Homeostat-specific code: whatever Prometheus already scrapes can be watched.
 *
 * ```yaml
 * prometheus:
 *   url: http://127.0.0.1:9090          # default: PROMETHEUS_URL
 *   intervalMs: 1000
 *   pipelines:
 *     - pipeline: demo
 *       queries:
 *         - expr: sum by (component) (rate(homeostat_pipeline_records_total{pipeline="demo"}[5s]))
 *           signal: throughput
 *           componentLabel: component     # or `component: score` for a fixed one
 *           absent: { event: HUNG, afterMs: 5000 }
 * ```
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';
import { ID_PATTERN, PROCESS_EVENTS, SIGNAL_PATTERN } from '../telemetry';

const id = z.string().regex(ID_PATTERN, 'must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}');

export const promQuery = z
  .strictObject({
    /** A PromQL expression returning an instant vector (or a scalar). */
    expr: z.string().min(1),
    signal: z.string().regex(SIGNAL_PATTERN, 'must match [A-Za-z0-9][A-Za-z0-9._:/-]{0,199}'),
    /** A fixed component for every series… */
    component: id.optional(),
    /** …or the series label naming it (default `component`). */
    componentLabel: z.string().min(1).optional(),
    /**
     * What a series becomes: a metric sample; a model's accuracy (value in [0, 1]); or, while its
     * value is non-zero, one event (sent when it turns non-zero, again only after it was zero).
     */
    as: z.enum(['metric', 'model.accuracy', 'event']).default('metric'),
    event: z.enum(PROCESS_EVENTS).optional(),
    unit: z.string().max(32).optional(),
    /** Series labels copied onto the record (`instance`, `model_version`…). */
    labels: z.array(z.string().min(1)).default([]),
    /**
     * A component this query has reported and that has had no series for `afterMs` (while
     * Prometheus answered) gets one `event` record saying it stopped reporting: a target that
     * died or hung is a signal, not just a gap.
     */
    absent: z.strictObject({ event: z.enum(PROCESS_EVENTS).default('HUNG'), afterMs: z.number().int().positive().default(5_000) }).optional(),
  })
  .refine((q) => q.as !== 'event' || q.event !== undefined, { message: 'as: event needs "event" (the event to send)', path: ['event'] })
  .refine((q) => !(q.component && q.componentLabel), { message: 'give "component" or "componentLabel", not both', path: ['component'] });
export type PromQuery = z.output<typeof promQuery>;

export const prometheusSourceConfig = z.strictObject({
  url: z.url().optional(),
  intervalMs: z.number().int().min(100).default(1_000),
  /** One query's deadline; a slow Prometheus costs a gap, never a stalled loop. */
  timeoutMs: z.number().int().positive().default(2_000),
  pipelines: z.array(z.strictObject({ pipeline: id, queries: z.array(promQuery).min(1) })).min(1),
});
export type PrometheusSourceConfig = z.output<typeof prometheusSourceConfig>;

export function parsePrometheusSourceConfig(value: unknown): PrometheusSourceConfig {
  const parsed = prometheusSourceConfig.safeParse(value);
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `prometheus source: ${formatZodIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

/** Loads the YAML/JSON file: the object itself or its `prometheus:` section. */
export function loadPrometheusSourceConfig(file: string): PrometheusSourceConfig {
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HomeostatError('HS_INVALID_INPUT', `prometheus source ${file}: ${(err as Error).message}`);
  }
  const section = typeof doc === 'object' && doc !== null && 'prometheus' in doc ? (doc as { prometheus: unknown }).prometheus : doc;
  return parsePrometheusSourceConfig(section);
}
