/** Schema and model version registries with pins on PostgreSQL; versions 1, 2, 3… per subject. */
import { toModel, toSchema, type ModelRow, type SchemaRow } from '../sqlite/registry';
import type { ModelVersion, SchemaVersion } from '../types';
import { lockName, type Sql } from './sql';


export function registerSchemaVersion(sql: Sql, s: { subject: string; schema: unknown; fingerprint?: string }, now: number): Promise<SchemaVersion> {
  // The lock makes "MAX + 1" safe against another process registering the same subject.
  return sql.atomic(async (tx) => {
    await lockName(tx, `schema_versions:${s.subject}`);
    const [row] = await tx.rows<SchemaRow>(
      `INSERT INTO schema_versions (subject, version, schema, fingerprint, created_at)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM schema_versions WHERE subject = $1 RETURNING *`,
      [s.subject, JSON.stringify(s.schema), s.fingerprint ?? null, now],
    );
    return toSchema(row as SchemaRow);
  });
}

export async function getSchemaVersion(sql: Sql, subject: string, version: number): Promise<SchemaVersion | undefined> {
  const [row] = await sql.rows<SchemaRow>('SELECT * FROM schema_versions WHERE subject = $1 AND version = $2', [subject, version]);
  return row ? toSchema(row) : undefined;
}

export async function listSchemaVersions(sql: Sql, subject: string): Promise<SchemaVersion[]> {
  return (await sql.rows<SchemaRow>('SELECT * FROM schema_versions WHERE subject = $1 ORDER BY version', [subject])).map(toSchema);
}

export async function pinSchema(sql: Sql, subject: string, version: number): Promise<void> {
  if (!(await getSchemaVersion(sql, subject, version))) throw new Error(`schema ${subject} has no version ${version}`);
  await sql.run('INSERT INTO schema_pins (subject, version) VALUES ($1, $2) ON CONFLICT (subject) DO UPDATE SET version = EXCLUDED.version', [subject, version]);
}

export async function getPinnedSchema(sql: Sql, subject: string): Promise<SchemaVersion | undefined> {
  const [pin] = await sql.rows<{ version: number }>('SELECT version FROM schema_pins WHERE subject = $1', [subject]);
  return pin ? getSchemaVersion(sql, subject, pin.version) : undefined;
}

export function registerModelVersion(sql: Sql, m: { name: string; uri: string; metrics?: Record<string, number> }, now: number): Promise<ModelVersion> {
  return sql.atomic(async (tx) => {
    await lockName(tx, `model_versions:${m.name}`);
    const [row] = await tx.rows<ModelRow>(
      `INSERT INTO model_versions (name, version, uri, metrics, created_at)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM model_versions WHERE name = $1 RETURNING *`,
      [m.name, m.uri, m.metrics === undefined ? null : JSON.stringify(m.metrics), now],
    );
    return toModel(row as ModelRow);
  });
}

export async function getModelVersion(sql: Sql, name: string, version: number): Promise<ModelVersion | undefined> {
  const [row] = await sql.rows<ModelRow>('SELECT * FROM model_versions WHERE name = $1 AND version = $2', [name, version]);
  return row ? toModel(row) : undefined;
}

export async function listModelVersions(sql: Sql, name: string): Promise<ModelVersion[]> {
  return (await sql.rows<ModelRow>('SELECT * FROM model_versions WHERE name = $1 ORDER BY version', [name])).map(toModel);
}

export async function pinModel(sql: Sql, name: string, version: number): Promise<void> {
  if (!(await getModelVersion(sql, name, version))) throw new Error(`model ${name} has no version ${version}`);
  await sql.run('INSERT INTO model_pins (name, version) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version', [name, version]);
}

export async function getPinnedModel(sql: Sql, name: string): Promise<ModelVersion | undefined> {
  const [pin] = await sql.rows<{ version: number }>('SELECT version FROM model_pins WHERE name = $1', [name]);
  return pin ? getModelVersion(sql, name, pin.version) : undefined;
}
