/**
 * Data-quality profiles of one batch: the volume goes to a detector; the largest rise of any
 * field's null rate over its trailing level, and the PSI of the recent histograms against the
 * batches before them, are data-quality scores; the schema fingerprint is read as a schema record.
 */
import { readFingerprint } from './schema';
import type { RecordReader } from './types';

export const readProfile: RecordReader<'profile'> = (rec, ctx) => {
  const { memory, facts, config } = ctx;
  facts.sample(`${rec.signal}.count`, 'profile.count', rec.count);
  let maxRise = 0;
  for (const k in rec.nullRates) {
    maxRise = Math.max(maxRise, memory.levelRise(`${rec.signal}/null/${k}`, rec.nullRates[k], config.psiReferenceBatches, config.nullRateWindowBatches, rec.ts));
  }
  facts.score(`${rec.signal}.null_rate`, 'data', maxRise / config.nullRateAlarm);
  readFingerprint(rec.signal, rec.schemaFingerprint, rec.ts, ctx);
  if (rec.histograms) {
    let maxPsi = 0;
    for (const [field, h] of Object.entries(rec.histograms)) {
      maxPsi = Math.max(maxPsi, memory.psi(`${rec.signal}/${field}/${h.edges.join(',')}`, h.counts, config.psiReferenceBatches, config.psiWindowBatches, rec.ts));
    }
    facts.score(`${rec.signal}.psi`, 'data', Math.min(1, maxPsi / config.psiAlarm));
  }
};
