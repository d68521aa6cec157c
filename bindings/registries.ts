/**
 * Schema and model registries: versions and pins. A pin is what producers and consumers follow
 * (the source emits the pinned schema, the score stage serves the pinned model), so a rollback is
 * one pin change, recorded with its reason in the pin history.
 *
 * Backed by a SQLite file shared by the pipeline processes and the worker (the knowledge base file
 * in a deployment). Every write that a repair makes carries the repair's idempotency key: a pin
 * with a key already applied is not applied again.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { HomeostatError } from '../common/errors';

export interface SchemaVersion {
  subject: string;
  version: number;
  definition: Record<string, unknown>;
  fingerprint: string;
  registeredAt: number;
}

export interface ModelVersion {
  model: string;
  version: string;
  artifact: Record<string, unknown>;
  metrics: Record<string, number>;
  registeredAt: number;
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
  pinSchema(subject: string, version: number, options: { reason: string; idempotencyKey?: string }): Promise<{ applied: boolean }>;
  pinnedSchema(subject: string): Promise<SchemaVersion | undefined>;
  schemaPinHistory(subject: string): Promise<PinEntry[]>;
}

export interface ModelRegistry {
  /** Registers a model version; registering an existing version name is a no-op returning it. */
  registerModel(model: string, version: string, artifact: Record<string, unknown>, metrics: Record<string, number>): Promise<ModelVersion>;
  modelVersions(model: string): Promise<ModelVersion[]>;
  getModel(model: string, version: string): Promise<ModelVersion | undefined>;
  pinModel(model: string, version: string, options: { reason: string; idempotencyKey?: string }): Promise<{ applied: boolean }>;
  pinnedModel(model: string): Promise<ModelVersion | undefined>;
  modelPinHistory(model: string): Promise<PinEntry[]>;
}

export function fingerprintOf(definition: Record<string, unknown>): string {
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

export class SqliteRegistries implements SchemaRegistry, ModelRegistry {
  readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS registry_schemas (subject TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL, fingerprint TEXT NOT NULL,
        registered_at INTEGER NOT NULL, PRIMARY KEY (subject, version));
      CREATE TABLE IF NOT EXISTS registry_models (model TEXT NOT NULL, version TEXT NOT NULL, artifact TEXT NOT NULL, metrics TEXT NOT NULL,
        registered_at INTEGER NOT NULL, PRIMARY KEY (model, version));
      CREATE TABLE IF NOT EXISTS registry_pins (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
        at INTEGER NOT NULL, reason TEXT NOT NULL, idempotency_key TEXT UNIQUE);
    `);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  async registerSchema(subject: string, definition: Record<string, unknown>): Promise<SchemaVersion> {
    const fingerprint = fingerprintOf(definition);
    return this.db.transaction(() => {
      const existing = this.db.prepare('SELECT * FROM registry_schemas WHERE subject = ? AND fingerprint = ?').get(subject, fingerprint) as RawSchema | undefined;
      if (existing) return toSchema(existing);
      const next = ((this.db.prepare('SELECT MAX(version) AS v FROM registry_schemas WHERE subject = ?').get(subject) as { v: number | null }).v ?? 0) + 1;
      const now = Date.now();
      this.db.prepare('INSERT INTO registry_schemas VALUES (?, ?, ?, ?, ?)').run(subject, next, JSON.stringify(definition), fingerprint, now);
      return { subject, version: next, definition, fingerprint, registeredAt: now };
    }).immediate();
  }

  async schemaVersions(subject: string): Promise<SchemaVersion[]> {
    return (this.db.prepare('SELECT * FROM registry_schemas WHERE subject = ? ORDER BY version').all(subject) as RawSchema[]).map(toSchema);
  }

  async pinSchema(subject: string, version: number, options: { reason: string; idempotencyKey?: string }): Promise<{ applied: boolean }> {
    const exists = this.db.prepare('SELECT 1 FROM registry_schemas WHERE subject = ? AND version = ?').get(subject, version);
    if (!exists) throw new HomeostatError('HS_NOT_FOUND', `schema ${subject} v${version} is not registered`);
    return this.pin('schema', subject, String(version), options);
  }

  async pinnedSchema(subject: string): Promise<SchemaVersion | undefined> {
    const pin = this.currentPin('schema', subject);
    if (!pin) return undefined;
    const row = this.db.prepare('SELECT * FROM registry_schemas WHERE subject = ? AND version = ?').get(subject, Number(pin.version)) as RawSchema | undefined;
    return row ? toSchema(row) : undefined;
  }

  async schemaPinHistory(subject: string): Promise<PinEntry[]> {
    return this.history('schema', subject);
  }

  async registerModel(model: string, version: string, artifact: Record<string, unknown>, metrics: Record<string, number>): Promise<ModelVersion> {
    const now = Date.now();
    this.db.prepare('INSERT OR IGNORE INTO registry_models VALUES (?, ?, ?, ?, ?)').run(model, version, JSON.stringify(artifact), JSON.stringify(metrics), now);
    const got = await this.getModel(model, version);
    if (!got) throw new HomeostatError('HS_INTERNAL', `model ${model}@${version} vanished after registration`);
    return got;
  }

  async modelVersions(model: string): Promise<ModelVersion[]> {
    return (this.db.prepare('SELECT * FROM registry_models WHERE model = ? ORDER BY registered_at, version').all(model) as RawModel[]).map(toModel);
  }

  async getModel(model: string, version: string): Promise<ModelVersion | undefined> {
    const row = this.db.prepare('SELECT * FROM registry_models WHERE model = ? AND version = ?').get(model, version) as RawModel | undefined;
    return row ? toModel(row) : undefined;
  }

  async pinModel(model: string, version: string, options: { reason: string; idempotencyKey?: string }): Promise<{ applied: boolean }> {
    if (!(await this.getModel(model, version))) throw new HomeostatError('HS_NOT_FOUND', `model ${model}@${version} is not registered`);
    return this.pin('model', model, version, options);
  }

  async pinnedModel(model: string): Promise<ModelVersion | undefined> {
    const pin = this.currentPin('model', model);
    return pin ? this.getModel(model, pin.version) : undefined;
  }

  async modelPinHistory(model: string): Promise<PinEntry[]> {
    return this.history('model', model);
  }

  private pin(kind: 'schema' | 'model', name: string, version: string, options: { reason: string; idempotencyKey?: string }): { applied: boolean } {
    const r = this.db
      .prepare('INSERT OR IGNORE INTO registry_pins (kind, name, version, at, reason, idempotency_key) VALUES (?, ?, ?, ?, ?, ?)')
      .run(kind, name, version, Date.now(), options.reason, options.idempotencyKey ?? null);
    return { applied: r.changes === 1 };
  }

  private currentPin(kind: 'schema' | 'model', name: string): PinEntry | undefined {
    const row = this.db.prepare('SELECT version, at, reason, idempotency_key FROM registry_pins WHERE kind = ? AND name = ? ORDER BY seq DESC LIMIT 1').get(kind, name) as RawPin | undefined;
    return row ? toPin(row) : undefined;
  }

  /** Newest first. */
  private history(kind: 'schema' | 'model', name: string): PinEntry[] {
    return (this.db.prepare('SELECT version, at, reason, idempotency_key FROM registry_pins WHERE kind = ? AND name = ? ORDER BY seq DESC').all(kind, name) as RawPin[]).map(toPin);
  }
}

interface RawSchema {
  subject: string;
  version: number;
  definition: string;
  fingerprint: string;
  registered_at: number;
}
interface RawModel {
  model: string;
  version: string;
  artifact: string;
  metrics: string;
  registered_at: number;
}
interface RawPin {
  version: string;
  at: number;
  reason: string;
  idempotency_key: string | null;
}

const toSchema = (r: RawSchema): SchemaVersion => ({
  subject: r.subject,
  version: r.version,
  definition: JSON.parse(r.definition) as Record<string, unknown>,
  fingerprint: r.fingerprint,
  registeredAt: r.registered_at,
});
const toModel = (r: RawModel): ModelVersion => ({
  model: r.model,
  version: r.version,
  artifact: JSON.parse(r.artifact) as Record<string, unknown>,
  metrics: JSON.parse(r.metrics) as Record<string, number>,
  registeredAt: r.registered_at,
});
const toPin = (r: RawPin): PinEntry => ({ version: r.version, at: r.at, reason: r.reason, idempotencyKey: r.idempotency_key });

/** The version pinned before the current one (what a rollback goes back to), skipping re-pins of the same version. */
export function previousPin(history: readonly PinEntry[]): PinEntry | undefined {
  const current = history[0];
  return current ? history.find((p) => p.version !== current.version) : undefined;
}
