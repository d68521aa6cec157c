/**
 * What the source emits: events of a registered schema, a hidden ground truth that decides each
 * event's (late) label, and the distortions data faults apply at the source.
 */
import { createHash } from 'node:crypto';
import { normal, type Rng } from '../common/rng';
import { sigmoid } from './model';

export type FieldType = 'string' | 'number';

export interface SchemaDefinition {
  fields: Record<string, FieldType>;
}

/** Version 1 of the event schema: what every consumer expects. */
export const BASE_SCHEMA: SchemaDefinition = {
  fields: { id: 'string', key: 'string', ts: 'number', schemaVersion: 'number', amount: 'number', category: 'string', x1: 'number', x2: 'number', priority: 'string' },
};
export const EVENT_SUBJECT = 'events';

/** The payload fields whose quality data profiles track. */
export const PROFILED_NUMERIC = ['amount', 'x1', 'x2'] as const;

export type SchemaDrift = { mode: 'rename'; from: string; to: string } | { mode: 'drop'; field: string } | { mode: 'type'; field: string };

/** Field order is fixed so the fingerprint only changes when names or types do. */
export function schemaFingerprint(fields: Record<string, string>): string {
  const canonical = Object.keys(fields)
    .sort()
    .map((k) => `${k}:${fields[k]}`)
    .join(',');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function applyDrift(schema: SchemaDefinition, drift: SchemaDrift): SchemaDefinition {
  const fields = { ...schema.fields };
  if (drift.mode === 'rename') {
    fields[drift.to] = fields[drift.from];
    delete fields[drift.from];
  } else if (drift.mode === 'drop') delete fields[drift.field];
  else fields[drift.field] = 'string';
  return { fields };
}

/** Knobs data faults turn at the source. */
export interface Distortions {
  drift?: SchemaDrift;
  /** Fraction of events whose `amount` is null. */
  nullRate?: number;
  nullField?: string;
  /** Added to x1 (in standard deviations); gradual shifts ramp this up over time. */
  shift?: number;
  /** Fraction of events emitted as unparseable bytes. */
  poisonRate?: number;
  /** 0 = original concept, 1 = fully changed concept (labels follow different weights). */
  conceptShift?: number;
}

export interface GeneratedEvent {
  id: string;
  key: string;
  /** Exact bytes appended to the log. */
  bytes: string;
  hash: string;
  label: number;
  priority: 'high' | 'low';
  poison: boolean;
}

export const KEYS = 16;

/** The hidden concept: how labels depend on the features. Concept drift moves it. */
export function groundTruthProbability(x1: number, x2: number, amount: number, conceptShift: number): number {
  // Sharp enough that a good model scores ~90 %: a drop is unmistakable, a recovery measurable.
  const original = 6 * x1 - 4 * x2 + 0.08 * (amount - 50);
  const changed = -6 * x1 + 4 * x2 - 0.08 * (amount - 50);
  return sigmoid((1 - conceptShift) * original + conceptShift * changed);
}

export function generateEvent(rng: Rng, seq: number, schemaVersion: number, d: Distortions): GeneratedEvent {
  const id = `e-${seq.toString().padStart(9, '0')}`;
  const key = `k${Math.floor(rng() * KEYS).toString().padStart(2, '0')}`;
  const priority = rng() < 0.3 ? 'high' : 'low';
  const x1 = normal(rng) + (d.shift ?? 0);
  const x2 = normal(rng);
  const amount = Math.max(0, 50 + 25 * normal(rng));
  const category = ['a', 'b', 'c'][Math.floor(rng() * 3)];
  const label = rng() < groundTruthProbability(x1, x2, amount, d.conceptShift ?? 0) ? 1 : 0;
  const poison = (d.poisonRate ?? 0) > 0 && rng() < (d.poisonRate ?? 0);
  let payload: Record<string, unknown> = { id, key, ts: Date.now(), schemaVersion, amount: round(amount), category, x1: round(x1), x2: round(x2), priority };
  if ((d.nullRate ?? 0) > 0 && rng() < (d.nullRate ?? 0)) payload[d.nullField ?? 'amount'] = null;
  if (d.drift) payload = distort(payload, d.drift);
  // A poison record: the producer wrote half a message. Its id travels in the key and a header.
  const bytes = poison ? JSON.stringify(payload).slice(0, 40) : JSON.stringify(payload);
  return { id, key, bytes, hash: hashBytes(bytes), label, priority, poison };
}

function distort(payload: Record<string, unknown>, drift: SchemaDrift): Record<string, unknown> {
  const out = { ...payload };
  if (drift.mode === 'rename') {
    out[drift.to] = out[drift.from];
    delete out[drift.from];
  } else if (drift.mode === 'drop') delete out[drift.field];
  else out[drift.field] = out[drift.field] === null || out[drift.field] === undefined ? null : String(out[drift.field]);
  return out;
}

export function hashBytes(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
