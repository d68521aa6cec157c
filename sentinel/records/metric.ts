/**
 * Metric samples: every metric feeds its signal's detectors. Two names mean more: `throughput`
 * (per instance, summed) is the unit a consumer's lag is measured in, and a `lag` / `backlog`
 * is also scored by its growth over its trailing level in seconds of that throughput — a
 * control chart sees a steadily growing lag once and relearns the slope, this score alarms for as
 * long as the stage falls behind.
 */
import type { RecordReader } from './types';

/** Metrics read as a consumer's backlog. */
const LAG_SIGNAL = /(^|\.)(lag|backlog)$/;

export const readMetric: RecordReader<'metric'> = (rec, { memory, facts, config }) => {
  facts.sample(rec.signal, 'metric', rec.value);
  const { psiReferenceBatches, nullRateWindowBatches } = config;
  if (rec.signal === 'throughput') memory.observeThroughput(rec.labels?.instance ?? '', rec.value, rec.ts, psiReferenceBatches, nullRateWindowBatches);
  else if (LAG_SIGNAL.test(rec.signal)) {
    const growth = memory.lagGrowth(rec.signal, rec.value, psiReferenceBatches, nullRateWindowBatches, config.lagAlarmSeconds, rec.ts);
    if (growth !== undefined) facts.score(`${rec.signal}.growth`, config.metricLayer, growth);
  }
};
