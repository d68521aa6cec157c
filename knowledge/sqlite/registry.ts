/**
 * Schema and model version registries with pins: the minimum the registry bindings build on.
 * Versions are numbered 1, 2, 3… per subject / model name; a pin names the version in force.
 */
import type Database from 'better-sqlite3';
import type { ModelVersion, SchemaVersion } from '../types';

export interface SchemaRow {
  subject: string;
  version: number;
  schema: string;
  fingerprint: string | null;
  created_at: number;
}
export interface ModelRow {
  name: string;
  version: number;
  uri: string;
  metrics: string | null;
  created_at: number;
}

export const toSchema = (r: SchemaRow): SchemaVersion => ({
  subject: r.subject,
  version: r.version,
  schema: JSON.parse(r.schema) as unknown,
  ...(r.fingerprint === null ? {} : { fingerprint: r.fingerprint }),
  createdAt: r.created_at,
});
export const toModel = (r: ModelRow): ModelVersion => ({
  name: r.name,
  version: r.version,
  uri: r.uri,
  ...(r.metrics === null ? {} : { metrics: JSON.parse(r.metrics) as Record<string, number> }),
  createdAt: r.created_at,
});

export function registerSchemaVersion(db: Database.Database, s: { subject: string; schema: unknown; fingerprint?: string }, now: number): SchemaVersion {
  const tx = db.transaction(() => {
    const next = ((db.prepare('SELECT MAX(version) AS v FROM schema_versions WHERE subject = ?').get(s.subject) as { v: number | null }).v ?? 0) + 1;
    db.prepare('INSERT INTO schema_versions (subject, version, schema, fingerprint, created_at) VALUES (?, ?, ?, ?, ?)').run(
      s.subject, next, JSON.stringify(s.schema), s.fingerprint ?? null, now,
    );
    return next;
  });
  return getSchemaVersion(db, s.subject, tx.immediate()) as SchemaVersion;
}

export function getSchemaVersion(db: Database.Database, subject: string, version: number): SchemaVersion | undefined {
  const row = db.prepare('SELECT * FROM schema_versions WHERE subject = ? AND version = ?').get(subject, version) as SchemaRow | undefined;
  return row ? toSchema(row) : undefined;
}

export function listSchemaVersions(db: Database.Database, subject: string): SchemaVersion[] {
  return (db.prepare('SELECT * FROM schema_versions WHERE subject = ? ORDER BY version').all(subject) as SchemaRow[]).map(toSchema);
}

export function pinSchema(db: Database.Database, subject: string, version: number): void {
  if (!getSchemaVersion(db, subject, version)) throw new Error(`schema ${subject} has no version ${version}`);
  db.prepare('INSERT INTO schema_pins (subject, version) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET version = excluded.version').run(subject, version);
}

export function getPinnedSchema(db: Database.Database, subject: string): SchemaVersion | undefined {
  const pin = db.prepare('SELECT version FROM schema_pins WHERE subject = ?').get(subject) as { version: number } | undefined;
  return pin ? getSchemaVersion(db, subject, pin.version) : undefined;
}

export function registerModelVersion(db: Database.Database, m: { name: string; uri: string; metrics?: Record<string, number> }, now: number): ModelVersion {
  const tx = db.transaction(() => {
    const next = ((db.prepare('SELECT MAX(version) AS v FROM model_versions WHERE name = ?').get(m.name) as { v: number | null }).v ?? 0) + 1;
    db.prepare('INSERT INTO model_versions (name, version, uri, metrics, created_at) VALUES (?, ?, ?, ?, ?)').run(
      m.name, next, m.uri, m.metrics === undefined ? null : JSON.stringify(m.metrics), now,
    );
    return next;
  });
  return getModelVersion(db, m.name, tx.immediate()) as ModelVersion;
}

export function getModelVersion(db: Database.Database, name: string, version: number): ModelVersion | undefined {
  const row = db.prepare('SELECT * FROM model_versions WHERE name = ? AND version = ?').get(name, version) as ModelRow | undefined;
  return row ? toModel(row) : undefined;
}

export function listModelVersions(db: Database.Database, name: string): ModelVersion[] {
  return (db.prepare('SELECT * FROM model_versions WHERE name = ? ORDER BY version').all(name) as ModelRow[]).map(toModel);
}

export function pinModel(db: Database.Database, name: string, version: number): void {
  if (!getModelVersion(db, name, version)) throw new Error(`model ${name} has no version ${version}`);
  db.prepare('INSERT INTO model_pins (name, version) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version').run(name, version);
}

export function getPinnedModel(db: Database.Database, name: string): ModelVersion | undefined {
  const pin = db.prepare('SELECT version FROM model_pins WHERE name = ?').get(name) as { version: number } | undefined;
  return pin ? getModelVersion(db, name, pin.version) : undefined;
}
