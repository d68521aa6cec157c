/**
 * The Flink telemetry source in the running sentinel: on an interval, each configured job of a
 * pipeline stage is read through Flink's REST API (sentinel/sources/flink.ts turns one read into
 * records) and the records are published to the telemetry topic, keyed by pipeline, like every
 * other source. The sentinel then validates, detects and snapshots them; nothing here calls a
 * detector.
 *
 * ```yaml
 * flink:
 *   url: http://127.0.0.1:8081     # default: FLINK_REST_URL
 *   intervalMs: 2000
 *   jobs:
 *     - pipeline: demo
 *       component: enrich
 *       job: enrich                 # the job's base name (a repair resubmits it as enrich@<request>)
 * ```
 *
 * A round where Flink does not answer publishes nothing (an outage of the JobManager is a gap,
 * counted in the stats and on /metrics, not a fault of the pipeline: the job's own FAILED and
 * RESTARTED events are what report a broken job).
 */
import fs from 'node:fs';
import type { Registry } from 'prom-client';
import YAML from 'yaml';
import { z } from 'zod';
import { FlinkBinding } from '../../bindings/flink';
import type { Log } from '../../bindings/log/types';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';
import { mirroredCounter } from '../metrics';
import { ID_PATTERN, type TelemetryRecord } from '../telemetry';
import { FlinkSource } from './flink';
import { publishRound, PullSource } from './rounds';

const id = z.string().regex(ID_PATTERN, 'must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}');

export const flinkSourceConfig = z.strictObject({
  url: z.url().optional(),
  intervalMs: z.number().int().min(200).default(2_000),
  jobs: z.array(z.strictObject({ pipeline: id, component: id, job: z.string().min(1).max(200) })).min(1),
});
export type FlinkSourceConfig = z.output<typeof flinkSourceConfig>;

/** Loads the YAML/JSON file: the object itself or its `flink:` section. */
export function loadFlinkSourceConfig(file: string): FlinkSourceConfig {
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HomeostatError('HS_INVALID_INPUT', `flink source ${file}: ${(err as Error).message}`);
  }
  const section = typeof doc === 'object' && doc !== null && 'flink' in doc ? (doc as { flink: unknown }).flink : doc;
  const parsed = flinkSourceConfig.safeParse(section);
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `flink source ${file}: ${formatZodIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

export interface FlinkPollerStats {
  rounds: number;
  /** Job reads that failed (JobManager unreachable, timeout): each one a gap. */
  failures: number;
  records: number;
  lastError: string | null;
}

export class FlinkPoller extends PullSource {
  readonly stats: FlinkPollerStats = { rounds: 0, failures: 0, records: 0, lastError: null };
  private readonly sources: { pipeline: string; source: FlinkSource }[];
  constructor(
    config: FlinkSourceConfig & { url: string },
    private readonly log: Log,
    private readonly topic: string,
    onError: (line: string) => void = () => undefined,
  ) {
    super(config.intervalMs, 'flink', onError);
    // Observation only: the poller never submits, so the binding needs no jar.
    this.sources = config.jobs.map((j) => ({
      pipeline: j.pipeline,
      source: new FlinkSource(new FlinkBinding(config.url, { stage: j.job, jar: '', entryClass: '' }), { pipeline: j.pipeline, component: j.component }),
    }));
  }

  /** One read of every job; publishes one message per pipeline and returns the records. */
  async round(now = Date.now()): Promise<TelemetryRecord[]> {
    this.stats.rounds++;
    const byPipeline = new Map<string, TelemetryRecord[]>();
    for (const { pipeline, source } of this.sources) {
      try {
        const records = await source.poll(now);
        byPipeline.set(pipeline, [...(byPipeline.get(pipeline) ?? []), ...records]);
      } catch (err) {
        this.stats.failures++;
        this.stats.lastError = (err as Error).message;
      }
    }
    const all: TelemetryRecord[] = [];
    for (const [pipeline, records] of byPipeline) {
      if (records.length === 0) continue;
      await publishRound(this.log, this.topic, pipeline, records, now);
      this.stats.records += records.length;
      all.push(...records);
    }
    return all;
  }
}

/** The poller's counters on the sentinel's /metrics (read at scrape time). */
export function registerFlinkSourceMetrics(registry: Registry, poller: FlinkPoller): void {
  const st = poller.stats;
  mirroredCounter(registry, 'homeostat_sentinel_flink_rounds_total', 'Read rounds of the Flink source', () => st.rounds);
  mirroredCounter(registry, 'homeostat_sentinel_flink_failures_total', 'Flink job reads that failed (each one a gap)', () => st.failures);
  mirroredCounter(registry, 'homeostat_sentinel_flink_records_total', 'Telemetry records published from Flink jobs', () => st.records);
}
