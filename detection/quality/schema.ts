/**
 * Schema fingerprint and diff. A schema is a set of (field name, type) pairs; its fingerprint is
 * the SHA-256 of the sorted `name:type` lines, so it does not depend on field order or on the
 * order keys happened to arrive in a JSON record — two producers with the same schema agree.
 *
 * Diff score: a removed field or a changed type breaks consumers, so either scores 1; fields that
 * were only added are a compatible evolution and score 0.25 (below the 0.5 violation level: worth
 * recording as evidence, not worth an incident on their own).
 */
import { createHash } from 'node:crypto';
import { type QualityResult, invalid } from './common';

export const FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'null', 'object', 'array'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export type Schema = Readonly<Record<string, FieldType>>;

/** Infers a flat schema from one record (nested objects are typed `object`, not descended into). */
export function schemaOf(record: Readonly<Record<string, unknown>>): Schema {
  const out: Record<string, FieldType> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v === null || v === undefined) out[k] = 'null';
    else if (Array.isArray(v)) out[k] = 'array';
    else if (typeof v === 'number') out[k] = Number.isInteger(v) ? 'integer' : 'number';
    else if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'object') out[k] = typeof v as FieldType;
    else throw invalid('schema', `field "${k}" has unsupported type ${typeof v}`);
  }
  return out;
}

function checkSchema(schema: Schema): void {
  for (const [k, t] of Object.entries(schema)) {
    if (!(FIELD_TYPES as readonly string[]).includes(t)) throw invalid('schema', `field "${k}" has type "${String(t)}"; valid: ${FIELD_TYPES.join(', ')}`);
  }
}

/** Stable hex fingerprint of a schema. */
export function schemaFingerprint(schema: Schema): string {
  checkSchema(schema);
  const lines = Object.keys(schema)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${schema[k]}`);
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

export interface SchemaDiff extends QualityResult {
  added: string[];
  removed: string[];
  typeChanged: { field: string; from: FieldType; to: FieldType }[];
  expectedFingerprint: string;
  actualFingerprint: string;
}

export function diffSchemas(expected: Schema, actual: Schema): SchemaDiff {
  const expectedFingerprint = schemaFingerprint(expected);
  const actualFingerprint = schemaFingerprint(actual);
  const added = Object.keys(actual).filter((k) => !(k in expected)).sort();
  const removed = Object.keys(expected).filter((k) => !(k in actual)).sort();
  const typeChanged = Object.keys(expected)
    .filter((k) => k in actual && actual[k] !== expected[k])
    .sort()
    .map((field) => ({ field, from: expected[field], to: actual[field] }));
  const breaking = removed.length + typeChanged.length;
  const score = breaking > 0 ? 1 : added.length > 0 ? 0.25 : 0;
  const parts: string[] = [];
  if (removed.length) parts.push(`removed ${removed.join(', ')}`);
  if (typeChanged.length) parts.push(`type changed ${typeChanged.map((c) => `${c.field} ${c.from}→${c.to}`).join(', ')}`);
  if (added.length) parts.push(`added ${added.join(', ')}`);
  return {
    check: 'schema',
    value: breaking + added.length,
    score,
    violated: breaking > 0,
    reason:
      parts.length === 0
        ? `schema matches (fingerprint ${expectedFingerprint.slice(0, 12)})`
        : `schema ${expectedFingerprint.slice(0, 12)} → ${actualFingerprint.slice(0, 12)}: ${parts.join('; ')}`,
    added,
    removed,
    typeChanged,
    expectedFingerprint,
    actualFingerprint,
  };
}
