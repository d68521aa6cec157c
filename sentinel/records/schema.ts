/**
 * Schema records, and the fingerprint every profile carries. A fingerprint change is a fact, not
 * a statistical anomaly: it opens an incident at once (like a crash), besides entering fusion as
 * a score-only input. A change back to the first fingerprint seen is a recovery and opens nothing.
 */
import type { ReadContext, RecordReader } from './types';

export function readFingerprint(signal: string, fingerprint: string, ts: number, { memory, facts }: ReadContext): void {
  const key = `${signal}.schema`;
  const before = memory.fingerprint(key);
  const changed = memory.fingerprintChanged(key, fingerprint, ts);
  facts.score(key, 'data', changed);
  if (changed === 1) facts.hardFault('schema-drift', `schema of ${signal} changed: fingerprint ${before} → ${fingerprint}`);
}

export const readSchema: RecordReader<'schema'> = (rec, ctx) => readFingerprint(rec.signal, rec.fingerprint, rec.ts, ctx);
