/**
 * A small client for MLflow's REST API (2.0): experiments, runs (params, metrics, tags),
 * proxied artifacts, registered models, model versions, aliases and tags. Only what the model
 * registry binding uses; every answer is validated with zod, every failure names the call and
 * MLflow's own error code.
 */
import { z } from 'zod';
import { HomeostatError } from '../common/errors';

const tag = z.object({ key: z.string(), value: z.string().default('') });
const tags = z.array(tag).default([]);

export const modelVersionSchema = z.object({
  name: z.string(),
  version: z.string(),
  creation_timestamp: z.coerce.number(),
  last_updated_timestamp: z.coerce.number().optional(),
  source: z.string().default(''),
  run_id: z.string().default(''),
  status: z.string().default('READY'),
  description: z.string().default(''),
  tags,
  aliases: z.array(z.string()).default([]),
});
export type MlflowModelVersion = z.infer<typeof modelVersionSchema>;

export const registeredModelSchema = z.object({
  name: z.string(),
  tags,
  aliases: z.array(z.object({ alias: z.string(), version: z.string() })).default([]),
  latest_versions: z.array(modelVersionSchema).default([]),
});
export type MlflowRegisteredModel = z.infer<typeof registeredModelSchema>;

const runInfo = z.object({ run_id: z.string(), experiment_id: z.string(), artifact_uri: z.string(), status: z.string(), run_name: z.string().optional() });
export const runSchema = z.object({
  info: runInfo,
  data: z
    .object({
      metrics: z.array(z.object({ key: z.string(), value: z.coerce.number(), timestamp: z.coerce.number().optional(), step: z.coerce.number().optional() })).default([]),
      params: z.array(tag).default([]),
      tags,
    })
    .default({ metrics: [], params: [], tags: [] }),
});
export type MlflowRun = z.infer<typeof runSchema>;

const errorBody = z.object({ error_code: z.string().optional(), message: z.string().optional() });

export class MlflowError extends HomeostatError {
  constructor(
    readonly call: string,
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(status === 404 || errorCode === 'RESOURCE_DOES_NOT_EXIST' ? 'HS_NOT_FOUND' : 'HS_SERVICE_UNAVAILABLE', message);
  }
}

export const toTags = (o: Record<string, string>): { key: string; value: string }[] => Object.entries(o).map(([key, value]) => ({ key, value }));
export const fromTags = (t: readonly { key: string; value: string }[]): Record<string, string> => Object.fromEntries(t.map((x) => [x.key, x.value]));

export class MlflowClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 15_000,
  ) {}

  private async request(call: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', path: string, body?: unknown, query?: Record<string, string>): Promise<unknown> {
    const qs = query ? `?${new URLSearchParams(query).toString()}` : '';
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}${qs}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `MLflow ${this.url}: ${call} failed: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { message: text.slice(0, 200) };
    }
    if (!res.ok) {
      const e = errorBody.safeParse(json);
      const code = e.success ? (e.data.error_code ?? '') : '';
      throw new MlflowError(call, res.status, code, `MLflow ${this.url}: ${call} answered ${res.status}${code ? ` ${code}` : ''}: ${(e.success ? e.data.message : undefined) ?? text.slice(0, 200)}`);
    }
    return json;
  }

  private async typed<T>(call: string, schema: z.ZodType<T>, value: Promise<unknown>): Promise<T> {
    const parsed = schema.safeParse(await value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HomeostatError('HS_INVALID_INPUT', `MLflow ${this.url}: ${call}: unexpected answer at ${issue?.path.join('.') || '(root)'} (${issue?.message ?? 'invalid'})`);
    }
    return parsed.data;
  }

  // ---- experiments and runs ----
  async experimentId(name: string): Promise<string> {
    try {
      const r = await this.typed('get experiment', z.object({ experiment: z.object({ experiment_id: z.string() }) }), this.request('get experiment', 'GET', '/api/2.0/mlflow/experiments/get-by-name', undefined, { experiment_name: name }));
      return r.experiment.experiment_id;
    } catch (err) {
      if (!(err instanceof MlflowError) || err.code !== 'HS_NOT_FOUND') throw err;
    }
    try {
      const r = await this.typed('create experiment', z.object({ experiment_id: z.string() }), this.request('create experiment', 'POST', '/api/2.0/mlflow/experiments/create', { name }));
      return r.experiment_id;
    } catch (err) {
      // Created by a concurrent caller in between.
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') return this.experimentId(name);
      throw err;
    }
  }

  async createRun(experimentId: string, runName: string, runTags: Record<string, string> = {}): Promise<MlflowRun> {
    const r = await this.typed(
      'create run',
      z.object({ run: runSchema }),
      this.request('create run', 'POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId, run_name: runName, start_time: Date.now(), tags: toTags(runTags) }),
    );
    return r.run;
  }

  async logBatch(runId: string, o: { metrics?: Record<string, number>; params?: Record<string, string | number>; tags?: Record<string, string> }): Promise<void> {
    const ts = Date.now();
    await this.request('log run data', 'POST', '/api/2.0/mlflow/runs/log-batch', {
      run_id: runId,
      metrics: Object.entries(o.metrics ?? {})
        .filter(([, v]) => Number.isFinite(v))
        .map(([key, value]) => ({ key, value, timestamp: ts, step: 0 })),
      params: Object.entries(o.params ?? {}).map(([key, value]) => ({ key, value: String(value) })),
      tags: toTags(o.tags ?? {}),
    });
  }

  async finishRun(runId: string, status: 'FINISHED' | 'FAILED' = 'FINISHED'): Promise<void> {
    await this.request('finish run', 'POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status, end_time: Date.now() });
  }

  async getRun(runId: string): Promise<MlflowRun> {
    return (await this.typed('get run', z.object({ run: runSchema }), this.request('get run', 'GET', '/api/2.0/mlflow/runs/get', undefined, { run_id: runId }))).run;
  }

  // ---- artifacts (proxied through the server: --serve-artifacts, mlflow-artifacts:/ URIs) ----
  private artifactPath(uri: string): string {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(uri);
    if (!m) throw new HomeostatError('HS_INVALID_INPUT', `MLflow artifact URI ${uri} is not proxied (mlflow-artifacts:/…): run the server with --serve-artifacts`);
    return m[1].split('/').map(encodeURIComponent).join('/');
  }

  async putArtifact(uri: string, bytes: string | Buffer): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/api/2.0/mlflow-artifacts/artifacts/${this.artifactPath(uri)}`, { method: 'PUT', body: bytes, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `MLflow ${this.url}: upload of ${uri} failed: ${(err as Error).message}`);
    }
    if (!res.ok) throw new MlflowError('upload artifact', res.status, '', `MLflow ${this.url}: upload of ${uri} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }

  async getArtifact(uri: string): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/api/2.0/mlflow-artifacts/artifacts/${this.artifactPath(uri)}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `MLflow ${this.url}: download of ${uri} failed: ${(err as Error).message}`);
    }
    if (!res.ok) throw new MlflowError('download artifact', res.status, '', `MLflow ${this.url}: download of ${uri} answered ${res.status}`);
    return res.text();
  }

  // ---- model registry ----
  async registeredModel(name: string): Promise<MlflowRegisteredModel | undefined> {
    try {
      return (await this.typed('get registered model', z.object({ registered_model: registeredModelSchema }), this.request('get registered model', 'GET', '/api/2.0/mlflow/registered-models/get', undefined, { name }))).registered_model;
    } catch (err) {
      if (err instanceof MlflowError && err.code === 'HS_NOT_FOUND') return undefined;
      throw err;
    }
  }

  async ensureRegisteredModel(name: string, description: string): Promise<void> {
    if (await this.registeredModel(name)) return;
    try {
      await this.request('create registered model', 'POST', '/api/2.0/mlflow/registered-models/create', { name, description });
    } catch (err) {
      if (!(err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
  }

  async createModelVersion(name: string, source: string, runId: string, versionTags: Record<string, string>, description = ''): Promise<MlflowModelVersion> {
    const r = await this.typed(
      'create model version',
      z.object({ model_version: modelVersionSchema }),
      this.request('create model version', 'POST', '/api/2.0/mlflow/model-versions/create', { name, source, run_id: runId, tags: toTags(versionTags), description }),
    );
    return r.model_version;
  }

  async modelVersion(name: string, version: string): Promise<MlflowModelVersion | undefined> {
    try {
      return (await this.typed('get model version', z.object({ model_version: modelVersionSchema }), this.request('get model version', 'GET', '/api/2.0/mlflow/model-versions/get', undefined, { name, version }))).model_version;
    } catch (err) {
      if (err instanceof MlflowError && (err.code === 'HS_NOT_FOUND' || err.errorCode === 'INVALID_PARAMETER_VALUE')) return undefined;
      throw err;
    }
  }

  /** Every version of a model (paged), oldest first. */
  async modelVersions(name: string): Promise<MlflowModelVersion[]> {
    const out: MlflowModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.typed(
        'search model versions',
        z.object({ model_versions: z.array(modelVersionSchema).default([]), next_page_token: z.string().optional() }),
        this.request('search model versions', 'GET', '/api/2.0/mlflow/model-versions/search', undefined, {
          filter: `name='${name.replace(/'/g, "\\'")}'`,
          max_results: '1000',
          ...(pageToken ? { page_token: pageToken } : {}),
        }),
      );
      out.push(...r.model_versions);
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out.sort((a, b) => Number(a.version) - Number(b.version));
  }

  /** The version an alias points at; undefined when the alias is not set. */
  async versionByAlias(name: string, alias: string): Promise<MlflowModelVersion | undefined> {
    try {
      return (await this.typed('get alias', z.object({ model_version: modelVersionSchema }), this.request('get alias', 'GET', '/api/2.0/mlflow/registered-models/alias', undefined, { name, alias }))).model_version;
    } catch (err) {
      // MLflow answers INVALID_PARAMETER_VALUE (400) for an alias that is not set.
      if (err instanceof MlflowError && (err.code === 'HS_NOT_FOUND' || err.errorCode === 'INVALID_PARAMETER_VALUE')) return undefined;
      throw err;
    }
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.request('set alias', 'POST', '/api/2.0/mlflow/registered-models/alias', { name, alias, version });
  }

  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.request('set model version tag', 'POST', '/api/2.0/mlflow/model-versions/set-tag', { name, version, key, value });
  }

  async setModelTag(name: string, key: string, value: string): Promise<void> {
    await this.request('set registered model tag', 'POST', '/api/2.0/mlflow/registered-models/set-tag', { name, key, value });
  }
}
