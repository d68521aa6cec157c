/**
 * A typed client for the parts of Flink's REST API the flink binding uses (job status, vertices,
 * checkpoints, exceptions, metrics, jar upload and run, stop-with-savepoint, cancel). Every answer
 * is parsed with zod: a field Homeostat relies on that is missing is an error naming the call, not
 * an `undefined` deep inside a repair.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';

export const TERMINAL_STATES = ['FINISHED', 'CANCELED', 'FAILED', 'SUSPENDED'] as const;
export type JobState = string;

const jobOverviewSchema = z.object({
  jid: z.string(),
  name: z.string(),
  state: z.string(),
  'start-time': z.number(),
  'end-time': z.number(),
});
export type JobOverview = z.infer<typeof jobOverviewSchema>;

const vertexSchema = z.object({
  id: z.string(),
  name: z.string(),
  parallelism: z.number(),
  status: z.string(),
  metrics: z.record(z.string(), z.unknown()).optional(),
});
const jobDetailSchema = z.object({
  jid: z.string(),
  name: z.string(),
  state: z.string(),
  'start-time': z.number(),
  vertices: z.array(vertexSchema),
});
export type JobDetail = z.infer<typeof jobDetailSchema>;

const checkpointRefSchema = z
  .object({
    id: z.number(),
    external_path: z.string().optional(),
    end_to_end_duration: z.number().optional(),
    latest_ack_timestamp: z.number().optional(),
    is_savepoint: z.boolean().optional(),
  })
  .passthrough();
const checkpointsSchema = z.object({
  counts: z.object({ restored: z.number(), total: z.number(), in_progress: z.number(), completed: z.number(), failed: z.number() }),
  latest: z.object({
    completed: checkpointRefSchema.nullable().optional(),
    savepoint: checkpointRefSchema.nullable().optional(),
    failed: checkpointRefSchema.nullable().optional(),
    restored: checkpointRefSchema.nullable().optional(),
  }),
  history: z.array(checkpointRefSchema.extend({ status: z.string() })),
});
export type JobCheckpoints = z.infer<typeof checkpointsSchema>;

const jobConfigSchema = z.object({
  jid: z.string(),
  'execution-config': z.object({ 'user-config': z.record(z.string(), z.string()).optional() }).passthrough().optional(),
});

const exceptionsSchema = z.object({
  exceptionHistory: z
    .object({ entries: z.array(z.object({ exceptionName: z.string().optional(), stacktrace: z.string().optional(), timestamp: z.number().optional() }).passthrough()) })
    .optional(),
});

const triggerSchema = z.object({ 'request-id': z.string() });
const savepointStatusSchema = z.object({
  status: z.object({ id: z.string() }),
  operation: z.object({ location: z.string().optional(), 'failure-cause': z.object({ 'stack-trace': z.string().optional() }).passthrough().optional() }).passthrough().optional(),
});

export interface RunJarRequest {
  entryClass: string;
  programArgsList: string[];
  parallelism: number;
  savepointPath?: string;
  allowNonRestoredState?: boolean;
}

export class FlinkRest {
  constructor(readonly url: string, private readonly timeoutMs = 10_000) {}

  private async call<T>(method: string, route: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${route}`, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `Flink REST ${method} ${route}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 404) throw new HomeostatError('HS_NOT_FOUND', `Flink REST ${method} ${route}: 404 ${text.slice(0, 300)}`);
    if (!res.ok) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `Flink REST ${method} ${route}: HTTP ${res.status} ${text.slice(0, 2000)}`);
    const parsed = schema.safeParse(text === '' ? {} : JSON.parse(text));
    if (!parsed.success) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `Flink REST ${method} ${route}: unexpected answer (${parsed.error.message})`);
    return parsed.data;
  }

  async jobs(): Promise<JobOverview[]> {
    return (await this.call('GET', '/jobs/overview', z.object({ jobs: z.array(jobOverviewSchema) }))).jobs;
  }

  job(jobId: string): Promise<JobDetail> {
    return this.call('GET', `/jobs/${jobId}`, jobDetailSchema);
  }

  checkpoints(jobId: string): Promise<JobCheckpoints> {
    return this.call('GET', `/jobs/${jobId}/checkpoints`, checkpointsSchema);
  }

  async checkpointConfig(jobId: string): Promise<{ mode: string; externalization?: { enabled?: boolean; delete_on_cancellation?: boolean } }> {
    return this.call('GET', `/jobs/${jobId}/checkpoints/config`, z.object({ mode: z.string(), externalization: z.object({ enabled: z.boolean().optional(), delete_on_cancellation: z.boolean().optional() }).optional() }).passthrough());
  }

  async userConfig(jobId: string): Promise<Record<string, string>> {
    return (await this.call('GET', `/jobs/${jobId}/config`, jobConfigSchema))['execution-config']?.['user-config'] ?? {};
  }

  async exceptions(jobId: string): Promise<{ name: string; trace: string; at: number }[]> {
    const r = await this.call('GET', `/jobs/${jobId}/exceptions`, exceptionsSchema);
    return (r.exceptionHistory?.entries ?? []).map((e) => ({ name: e.exceptionName ?? '', trace: e.stacktrace ?? '', at: e.timestamp ?? 0 }));
  }

  /** Job-level metrics (numRestarts, …) by name; absent ones are left out. */
  async jobMetrics(jobId: string, names: string[]): Promise<Record<string, number>> {
    const rows = await this.call('GET', `/jobs/${jobId}/metrics?get=${names.join(',')}`, z.array(z.object({ id: z.string(), value: z.string() })));
    return Object.fromEntries(rows.map((r) => [r.id, Number(r.value)]));
  }

  /** Aggregated subtask metrics of one vertex (sum/max over subtasks). */
  async vertexMetrics(jobId: string, vertexId: string, names: string[]): Promise<Record<string, { sum?: number; max?: number; min?: number; avg?: number }>> {
    const rows = await this.call(
      'GET',
      `/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics?get=${names.map(encodeURIComponent).join(',')}`,
      z.array(z.object({ id: z.string(), sum: z.number().optional(), max: z.number().optional(), min: z.number().optional(), avg: z.number().optional() })),
    );
    return Object.fromEntries(rows.map((r) => [r.id, { sum: r.sum, max: r.max, min: r.min, avg: r.avg }]));
  }

  /** Uploads a jar (multipart, field `jarfile`); returns its id for `runJar`. */
  async uploadJar(jarPath: string): Promise<string> {
    const form = new FormData();
    form.append('jarfile', new Blob([fs.readFileSync(jarPath)], { type: 'application/x-java-archive' }), path.basename(jarPath));
    const res = await fetch(`${this.url}/jars/upload`, { method: 'POST', body: form, signal: AbortSignal.timeout(60_000) });
    const body = z.object({ filename: z.string(), status: z.string() }).safeParse(await res.json().catch(() => undefined));
    if (!res.ok || !body.success) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `Flink REST POST /jars/upload: HTTP ${res.status}`);
    return path.basename(body.data.filename);
  }

  async runJar(jarId: string, request: RunJarRequest): Promise<string> {
    const body: Record<string, unknown> = { entryClass: request.entryClass, programArgsList: request.programArgsList, parallelism: request.parallelism };
    if (request.savepointPath) body.savepointPath = request.savepointPath;
    if (request.allowNonRestoredState !== undefined) body.allowNonRestoredState = request.allowNonRestoredState;
    return (await this.call('POST', `/jars/${jarId}/run`, z.object({ jobid: z.string() }), body)).jobid;
  }

  async cancel(jobId: string): Promise<void> {
    await this.call('PATCH', `/jobs/${jobId}?mode=cancel`, z.unknown());
  }

  /** Stop with a savepoint (no drain); returns the trigger id to poll with `savepointStatus`. */
  async stopWithSavepoint(jobId: string, targetDirectory: string): Promise<string> {
    return (await this.call('POST', `/jobs/${jobId}/stop`, triggerSchema, { targetDirectory, drain: false }))['request-id'];
  }

  async savepointStatus(jobId: string, triggerId: string): Promise<{ state: 'IN_PROGRESS' | 'COMPLETED'; location?: string; failure?: string }> {
    const r = await this.call('GET', `/jobs/${jobId}/savepoints/${triggerId}`, savepointStatusSchema);
    const state = r.status.id === 'COMPLETED' ? 'COMPLETED' : 'IN_PROGRESS';
    return { state, location: r.operation?.location, failure: r.operation?.['failure-cause']?.['stack-trace']?.split('\n')[0] };
  }

  async config(): Promise<Record<string, string>> {
    const rows = await this.call('GET', '/jobmanager/config', z.array(z.object({ key: z.string(), value: z.string() })));
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }
}
