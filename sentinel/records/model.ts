/**
 * Model telemetry: a 0/1 error stream feeds its detectors (a Bernoulli CUSUM by default).
 * Reported accuracy is a rolling figure — smooth, strongly autocorrelated, with a variance so small
 * a control chart would call any wobble an alarm — so what is scored is its drop below its
 * trailing level, in points of accuracy.
 */
import type { RecordReader } from './types';

export const readModel: RecordReader<'model'> = (rec, { memory, facts, config }) => {
  if (rec.error !== undefined) facts.sample(rec.signal, 'model.error', rec.error);
  if (rec.accuracy !== undefined) {
    const drop = memory.levelRise(`${rec.signal}/accuracy-loss`, 1 - rec.accuracy, config.psiReferenceBatches, config.nullRateWindowBatches, rec.ts);
    facts.score(`${rec.signal}.accuracy`, 'model', drop / config.accuracyDropAlarm);
  }
};
