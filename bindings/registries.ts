/**
 * Schema and model registries on the knowledge base: versions and pins are the knowledge base's
 * (`registerSchemaVersion`, `pinSchema`, `registerModelVersion`, `pinModel`, `getPinned…`); this
 * binding adds what repairs need on top:
 *  - **pin history with reasons**, kept in the knowledge base's hash-chained audit log (subject
 *    `schema:<subject>` / `model:<name>`), so "the version before this one" is always known and
 *    every rollback is on the audit record;
 *  - **idempotent pins**: a pin carrying an idempotency key already in the history is not
 *    applied again (retried activities);
 *  - **deduplicated schema registration** by fingerprint;
 *  - **model artefacts**: the knowledge base stores a URI; small models travel inline as a
 *    `data:application/json;base64,…` URI, so a version is self-contained.
 * A pin is what producers and consumers follow: the source emits the pinned schema, the score
 * stage serves the pinned model, so a rollback is one pin change.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { HomeostatError } from '../common/errors';
import { checkFence, type Fenced } from './fence';
import { openKnowledgeBase } from '../knowledge/open';
import type { KnowledgeBase } from '../knowledge/types';

export interface SchemaVersion {
  subject: string;
  version: number;
  definition: Record<string, unknown>;
  fingerprint: string;
  registeredAt: number;
}

export interface ModelVersion {
  model: string;
  /** The knowledge base's version number, as a string (what telemetry and pins carry). */
  version: string;
  artifact: Record<string, unknown>;
  metrics: Record<string, number>;
  registeredAt: number;
  /** The version's tags (MLflow's model version tags; validation outcomes in the embedded registry). */
  tags?: Record<string, string>;
  /** The training run that produced it, when the registry tracks runs (MLflow). */
  runId?: string;
}

/** What a registration may carry beyond the artefact and its metrics (a registry that tracks runs logs them). */
export interface RegisterOptions {
  /** Training parameters, logged on the run. */
  params?: Record<string, string | number>;
  /** Tags of the new version. */
  tags?: Record<string, string>;
  /** Name of the training run. */
  runName?: string;
}

/** Outcome of validating a version on a holdout, recorded on the version itself. */
export interface ValidationRecord {
  passed: boolean;
  metrics: Record<string, number>;
  reason: string;
  incidentId?: string;
}

export interface PinEntry {
  version: string;
  at: number;
  reason: string;
  idempotencyKey: string | null;
}

export interface SchemaRegistry {
  /** Registers a definition; the same definition (by fingerprint) returns the existing version. */
  registerSchema(subject: string, definition: Record<string, unknown>): Promise<SchemaVersion>;
  schemaVersions(subject: string): Promise<SchemaVersion[]>;
  pinSchema(subject: string, version: number, options: { reason: string; idempotencyKey?: string } & Fenced): Promise<{ applied: boolean }>;
  pinnedSchema(subject: string): Promise<SchemaVersion | undefined>;
  /** Newest first. */
  schemaPinHistory(subject: string): Promise<PinEntry[]>;
}

export interface ModelRegistry {
  /** `embedded`: the knowledge base's versions and pins; `mlflow`: MLflow's registry, the pin being an alias. */
  readonly kind?: 'embedded' | 'mlflow';
  registerModel(model: string, artifact: Record<string, unknown>, metrics: Record<string, number>, options?: RegisterOptions): Promise<ModelVersion>;
  modelVersions(model: string): Promise<ModelVersion[]>;
  getModel(model: string, version: string): Promise<ModelVersion | undefined>;
  pinModel(model: string, version: string, options: { reason: string; idempotencyKey?: string } & Fenced): Promise<{ applied: boolean }>;
  pinnedModel(model: string): Promise<ModelVersion | undefined>;
  /** Newest first. */
  modelPinHistory(model: string): Promise<PinEntry[]>;
  /** Records a validation outcome on a version (a candidate that failed stays registered, marked rejected). */
  recordValidation(model: string, version: string, record: ValidationRecord): Promise<void>;
  /** Adds tags to a version (the incident that moved the pin, and why). */
  tagVersion(model: string, version: string, tags: Record<string, string>): Promise<void>;
  /** The version a rollback returns to, and why that one; undefined when there is none. */
  rollbackTarget(model: string): Promise<{ version: string; reason: string } | undefined>;
}

/** The fencing token a pin was made under, for the audit row (none for pins made by hand). */
function fenceDetail(options: Fenced): { fenceToken?: number } {
  return options.fence ? { fenceToken: options.fence.token } : {};
}

export function fingerprintOf(definition: unknown): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex').slice(0, 16);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const DATA_URI_PREFIX = 'data:application/json;base64,';
const tagDetailSchema = z.object({ version: z.union([z.number(), z.string()]), tags: z.record(z.string(), z.string()) });
const pinDetailSchema = z.object({ version: z.union([z.number(), z.string()]), reason: z.string().default(''), idempotencyKey: z.string().nullable().default(null) });

export function artifactToUri(artifact: Record<string, unknown>): string {
  return DATA_URI_PREFIX + Buffer.from(JSON.stringify(artifact)).toString('base64');
}

export function artifactFromUri(uri: string): Record<string, unknown> {
  if (!uri.startsWith(DATA_URI_PREFIX)) return { uri };
  return JSON.parse(Buffer.from(uri.slice(DATA_URI_PREFIX.length), 'base64').toString('utf8')) as Record<string, unknown>;
}

export class KnowledgeRegistries implements SchemaRegistry, ModelRegistry {
  readonly kind = 'embedded' as const;

  constructor(
    readonly kb: KnowledgeBase,
    private readonly actor = 'registry',
  ) {}

  async registerSchema(subject: string, definition: Record<string, unknown>): Promise<SchemaVersion> {
    const fingerprint = fingerprintOf(definition);
    const existing = (await this.kb.listSchemaVersions(subject)).find((v) => v.fingerprint === fingerprint);
    const v = existing ?? (await this.kb.registerSchemaVersion({ subject, schema: definition, fingerprint }));
    return toSchema(v);
  }

  async schemaVersions(subject: string): Promise<SchemaVersion[]> {
    return (await this.kb.listSchemaVersions(subject)).map(toSchema);
  }

  async pinSchema(subject: string, version: number, options: { reason: string; idempotencyKey?: string } & Fenced): Promise<{ applied: boolean }> {
    if (!(await this.kb.getSchemaVersion(subject, version))) throw new HomeostatError('HS_NOT_FOUND', `schema ${subject} v${version} is not registered`);
    if (await this.seen(`schema:${subject}`, options.idempotencyKey)) return { applied: false };
    await checkFence(options);
    await this.kb.pinSchema(subject, version);
    await this.kb.appendAudit({ actor: this.actor, action: 'pin', subject: `schema:${subject}`, detail: { version, reason: options.reason, idempotencyKey: options.idempotencyKey ?? null, ...fenceDetail(options) } });
    return { applied: true };
  }

  async pinnedSchema(subject: string): Promise<SchemaVersion | undefined> {
    const v = await this.kb.getPinnedSchema(subject);
    return v ? toSchema(v) : undefined;
  }

  async schemaPinHistory(subject: string): Promise<PinEntry[]> {
    return this.history(`schema:${subject}`);
  }

  async registerModel(model: string, artifact: Record<string, unknown>, metrics: Record<string, number>): Promise<ModelVersion> {
    return toModel(await this.kb.registerModelVersion({ name: model, uri: artifactToUri(artifact), metrics }));
  }

  async modelVersions(model: string): Promise<ModelVersion[]> {
    return (await this.kb.listModelVersions(model)).map(toModel);
  }

  async getModel(model: string, version: string): Promise<ModelVersion | undefined> {
    const n = Number(version);
    if (!Number.isInteger(n)) return undefined;
    const v = await this.kb.getModelVersion(model, n);
    return v ? toModel(v) : undefined;
  }

  async pinModel(model: string, version: string, options: { reason: string; idempotencyKey?: string } & Fenced): Promise<{ applied: boolean }> {
    if (!(await this.getModel(model, version))) throw new HomeostatError('HS_NOT_FOUND', `model ${model}@${version} is not registered`);
    if (await this.seen(`model:${model}`, options.idempotencyKey)) return { applied: false };
    await checkFence(options);
    await this.kb.pinModel(model, Number(version));
    await this.kb.appendAudit({ actor: this.actor, action: 'pin', subject: `model:${model}`, detail: { version: Number(version), reason: options.reason, idempotencyKey: options.idempotencyKey ?? null, ...fenceDetail(options) } });
    return { applied: true };
  }

  async pinnedModel(model: string): Promise<ModelVersion | undefined> {
    const v = await this.kb.getPinnedModel(model);
    return v ? toModel(v) : undefined;
  }

  async modelPinHistory(model: string): Promise<PinEntry[]> {
    return this.history(`model:${model}`);
  }

  async recordValidation(model: string, version: string, record: ValidationRecord): Promise<void> {
    await this.kb.appendAudit({ actor: this.actor, action: 'validation', subject: `model:${model}`, detail: { version: Number(version), ...record } });
  }

  async tagVersion(model: string, version: string, tags: Record<string, string>): Promise<void> {
    await this.kb.appendAudit({ actor: this.actor, action: 'tag', subject: `model:${model}`, detail: { version: Number(version), tags } });
  }

  /** The embedded registry goes back to the version pinned before the current one. */
  async rollbackTarget(model: string): Promise<{ version: string; reason: string } | undefined> {
    const history = await this.modelPinHistory(model);
    // A version that a rollback already replaced is known bad: going "back" to it — because it
    // happens to be the one pinned before the current — would reinstate the fault a second
    // incident just repaired (seen in the demo: a spurious second incident rolled back to the bad model).
    const bad = await this.rolledBack(model);
    const current = history[0];
    const prev = current ? history.find((p) => p.version !== current.version && !bad.has(p.version)) : undefined;
    return prev ? { version: prev.version, reason: `${model}@${prev.version} served before ${current?.version}${bad.size > 0 ? ` (skipping rolled-back ${[...bad].sort().join(', ')})` : ''}` } : undefined;
  }

  /** Versions whose latest rollback tag says a rollback replaced them (and no restore since). */
  private async rolledBack(model: string): Promise<Set<string>> {
    const rows = await this.kb.listAudit({ subject: `model:${model}`, limit: 1_000 });
    const state = new Map<string, boolean>();
    // Oldest first, so the latest tag of each version wins.
    for (const r of [...rows].reverse()) {
      if (r.action !== 'tag') continue;
      const d = tagDetailSchema.safeParse(r.detail);
      if (!d.success) continue;
      const v = String(d.data.version);
      if (d.data.tags['homeostat.rolled_back_by'] !== undefined) state.set(v, true);
      if (d.data.tags['homeostat.restored_by'] !== undefined) state.set(v, false);
    }
    return new Set([...state].filter(([, bad]) => bad).map(([v]) => v));
  }

  private async seen(subject: string, key: string | undefined): Promise<boolean> {
    if (!key) return false;
    return (await this.history(subject)).some((p) => p.idempotencyKey === key);
  }

  private async history(subject: string): Promise<PinEntry[]> {
    const rows = await this.kb.listAudit({ subject, limit: 1_000 });
    const out: PinEntry[] = [];
    for (const r of rows) {
      if (r.action !== 'pin') continue;
      const d = pinDetailSchema.safeParse(r.detail);
      if (d.success) out.push({ version: String(d.data.version), at: Date.parse(r.at), reason: d.data.reason, idempotencyKey: d.data.idempotencyKey });
    }
    return out.reverse();
  }

  async close(): Promise<void> {
    await this.kb.close();
  }
}

/** Registries on the SQLite knowledge base at `file` (created and migrated when missing). */
export function openRegistries(file: string): KnowledgeRegistries {
  return new KnowledgeRegistries(openKnowledgeBase(file));
}

const toSchema = (v: { subject: string; version: number; schema: unknown; fingerprint?: string; createdAt: number }): SchemaVersion => ({
  subject: v.subject,
  version: v.version,
  definition: (v.schema ?? {}) as Record<string, unknown>,
  fingerprint: v.fingerprint ?? fingerprintOf(v.schema),
  registeredAt: v.createdAt,
});

const toModel = (v: { name: string; version: number; uri: string; metrics?: Record<string, number>; createdAt: number }): ModelVersion => ({
  model: v.name,
  version: String(v.version),
  artifact: artifactFromUri(v.uri),
  metrics: v.metrics ?? {},
  registeredAt: v.createdAt,
});

/** The version pinned before the current one (what a rollback goes back to), skipping re-pins of the same version. */
export function previousPin(history: readonly PinEntry[]): PinEntry | undefined {
  const current = history[0];
  return current ? history.find((p) => p.version !== current.version) : undefined;
}
