/**
 * The model registry binding on MLflow: versions are MLflow model versions, the pin is an alias
 * (`champion` by default; serving stages load `models:/<name>@champion`), and everything a repair
 * decides is written where a data scientist looks — in MLflow:
 *  - each registration is a run in the experiment `homeostat/<model>` with its parameters and
 *    metrics, the artefact (`model/model.json`) uploaded through the server's artifact proxy;
 *  - validation outcomes are version tags (`validation_status` passed | rejected, with the
 *    holdout metrics), so "the last version whose validation passed" is MLflow's own record;
 *  - every alias move made through this binding leaves a registered-model tag
 *    `homeostat.pin.<hash of its idempotency key>` = {version, at, reason, idempotencyKey}: the pin
 *    history, and the check that makes a retried move a no-op.
 * Artefacts of a version never change, so they are cached in memory by version.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HomeostatError } from '../common/errors';
import { checkFence, type Fenced } from './fence';
import { fromTags, MlflowClient, type MlflowModelVersion } from './mlflow-client';
import type { ModelRegistry, ModelVersion, PinEntry, RegisterOptions, ValidationRecord } from './registries';

export const DEFAULT_ALIAS = 'champion';
export const VALIDATION_TAG = 'validation_status';
const PIN_TAG_PREFIX = 'homeostat.pin.';
const ARTIFACT_FILE = 'model.json';

const pinTagValue = z.object({ version: z.string(), at: z.number(), reason: z.string(), idempotencyKey: z.string().nullable() });

export interface MlflowRegistryOptions {
  trackingUri: string;
  alias?: string;
  /** Who the runs and tags name as their author. */
  actor?: string;
}

const pinTagKey = (idempotencyKey: string): string => `${PIN_TAG_PREFIX}${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;

export class MlflowModelRegistry implements ModelRegistry {
  readonly kind = 'mlflow' as const;
  readonly client: MlflowClient;
  readonly alias: string;
  private readonly actor: string;
  private readonly artifacts = new Map<string, Record<string, unknown>>();
  private readonly metrics = new Map<string, Record<string, number>>();

  constructor(options: MlflowRegistryOptions) {
    this.client = new MlflowClient(options.trackingUri.replace(/\/+$/, ''));
    this.alias = options.alias ?? DEFAULT_ALIAS;
    this.actor = options.actor ?? 'homeostat';
  }

  get trackingUri(): string {
    return this.client.url;
  }

  async registerModel(model: string, artifact: Record<string, unknown>, metrics: Record<string, number>, options: RegisterOptions = {}): Promise<ModelVersion> {
    const experiment = await this.client.experimentId(`homeostat/${model}`);
    const run = await this.client.createRun(experiment, options.runName ?? `register ${model}`, { 'mlflow.user': this.actor, 'homeostat.model': model });
    try {
      await this.client.logBatch(run.info.run_id, { metrics, params: options.params ?? {} });
      await this.client.putArtifact(`${run.info.artifact_uri}/model/${ARTIFACT_FILE}`, JSON.stringify(artifact));
      await this.client.finishRun(run.info.run_id);
    } catch (err) {
      await this.client.finishRun(run.info.run_id, 'FAILED').catch(() => undefined);
      throw err;
    }
    await this.client.ensureRegisteredModel(model, 'Registered by Homeostat; the alias names the version serving stages load.');
    const v = await this.client.createModelVersion(model, `${run.info.artifact_uri}/model`, run.info.run_id, options.tags ?? {});
    this.artifacts.set(`${model}@${v.version}`, artifact);
    this.metrics.set(`${model}@${v.version}`, metrics);
    return this.toModel(v, artifact, metrics);
  }

  async modelVersions(model: string): Promise<ModelVersion[]> {
    if (!(await this.client.registeredModel(model))) return [];
    const versions = await this.client.modelVersions(model);
    return Promise.all(versions.map(async (v) => this.toModel(v, await this.artifactOf(model, v), await this.metricsOf(model, v))));
  }

  async getModel(model: string, version: string): Promise<ModelVersion | undefined> {
    const v = await this.client.modelVersion(model, version);
    return v ? this.toModel(v, await this.artifactOf(model, v), await this.metricsOf(model, v)) : undefined;
  }

  async pinModel(model: string, version: string, options: { reason: string; idempotencyKey?: string } & Fenced): Promise<{ applied: boolean }> {
    if (!(await this.client.modelVersion(model, version))) throw new HomeostatError('HS_NOT_FOUND', `model ${model}@${version} is not registered in MLflow (${this.trackingUri})`);
    const key = options.idempotencyKey;
    if (key) {
      const rm = await this.client.registeredModel(model);
      if (rm?.tags.some((t) => t.key === pinTagKey(key))) return { applied: false };
    }
    // Right before the alias moves: a repair whose lease was taken over must not move it.
    await checkFence(options);
    await this.client.setAlias(model, this.alias, version);
    const entry = { version, at: Date.now(), reason: options.reason.slice(0, 2_000), idempotencyKey: key ?? null, ...(options.fence ? { fenceToken: options.fence.token } : {}) };
    // Keyless pins (a person's deploy) get a key of their own so each lands in the history.
    await this.client.setModelTag(model, pinTagKey(key ?? `${version}:${entry.at}:${Math.random()}`), JSON.stringify(entry));
    return { applied: true };
  }

  /** The version the alias points at, with its artefact: what a serving stage loads. */
  async pinnedModel(model: string): Promise<ModelVersion | undefined> {
    const v = await this.client.versionByAlias(model, this.alias);
    return v ? this.toModel(v, await this.artifactOf(model, v), await this.metricsOf(model, v)) : undefined;
  }

  async modelPinHistory(model: string): Promise<PinEntry[]> {
    const rm = await this.client.registeredModel(model);
    const out: PinEntry[] = [];
    for (const t of rm?.tags ?? []) {
      if (!t.key.startsWith(PIN_TAG_PREFIX)) continue;
      try {
        const e = pinTagValue.safeParse(JSON.parse(t.value));
        if (e.success) out.push(e.data);
      } catch {
        // A tag someone edited by hand: not part of the history.
      }
    }
    return out.sort((a, b) => b.at - a.at);
  }

  async recordValidation(model: string, version: string, record: ValidationRecord): Promise<void> {
    const tags: Record<string, string> = {
      [VALIDATION_TAG]: record.passed ? 'passed' : 'rejected',
      'validation.reason': record.reason.slice(0, 2_000),
      ...Object.fromEntries(Object.entries(record.metrics).map(([k, v]) => [`validation.${k}`, String(v)])),
      ...(record.incidentId ? { 'homeostat.incident_id': record.incidentId } : {}),
    };
    await this.tagVersion(model, version, tags);
  }

  async tagVersion(model: string, version: string, tags: Record<string, string>): Promise<void> {
    for (const [k, v] of Object.entries(tags)) await this.client.setVersionTag(model, version, k, v);
  }

  /**
   * The newest version, other than the one the alias points at, whose recorded validation
   * passed. Not "the previous pin": an alias moved by hand in MLflow's UI leaves no pin entry,
   * and a version nobody validated is no place to roll back to.
   */
  async rollbackTarget(model: string): Promise<{ version: string; reason: string } | undefined> {
    const current = await this.client.versionByAlias(model, this.alias);
    const versions = await this.client.modelVersions(model);
    const passed = versions.filter((v) => v.version !== current?.version && fromTags(v.tags)[VALIDATION_TAG] === 'passed');
    const target = passed.at(-1);
    if (!target) return undefined;
    const acc = fromTags(target.tags)['validation.holdoutAccuracy'];
    return {
      version: target.version,
      reason: `${model} v${target.version} is the newest version whose recorded validation passed${acc ? ` (holdout accuracy ${(Number(acc) * 100).toFixed(1)} %)` : ''}; @${this.alias} was on v${current?.version ?? 'none'}`,
    };
  }

  private async artifactOf(model: string, v: MlflowModelVersion): Promise<Record<string, unknown>> {
    const k = `${model}@${v.version}`;
    const cached = this.artifacts.get(k);
    if (cached) return cached;
    const text = await this.client.getArtifact(`${v.source}/${ARTIFACT_FILE}`);
    let artifact: Record<string, unknown>;
    try {
      artifact = z.record(z.string(), z.unknown()).parse(JSON.parse(text));
    } catch (err) {
      throw new HomeostatError('HS_INVALID_INPUT', `MLflow model ${k}: ${v.source}/${ARTIFACT_FILE} is not a JSON object (${(err as Error).message})`);
    }
    this.artifacts.set(k, artifact);
    return artifact;
  }

  private async metricsOf(model: string, v: MlflowModelVersion): Promise<Record<string, number>> {
    const k = `${model}@${v.version}`;
    const cached = this.metrics.get(k);
    if (cached) return cached;
    const metrics = v.run_id ? Object.fromEntries((await this.client.getRun(v.run_id)).data.metrics.map((m) => [m.key, m.value])) : {};
    this.metrics.set(k, metrics);
    return metrics;
  }

  private toModel(v: MlflowModelVersion, artifact: Record<string, unknown>, metrics: Record<string, number>): ModelVersion {
    return { model: v.name, version: v.version, artifact, metrics, registeredAt: v.creation_timestamp, tags: fromTags(v.tags), ...(v.run_id ? { runId: v.run_id } : {}) };
  }

  async close(): Promise<void> {
    // Stateless HTTP: nothing to close.
  }
}
