/**
 * Data-quality faults through the whole loop on the live pipeline, on the embedded log and on
 * the real Kafka broker: poison records and a null spike each open an incident, quarantine runs
 * and verifies, and the sink ends exactly-once. (Distribution shifts: heal-shift.test.ts; schema
 * drift: heal-schema.test.ts.)
 */
import { expectExactlyOnce, expectHealed, playbookCase, useHealingLoop, type HealingCase, type LogKind } from './healing-loop';

jest.setTimeout(20 * 60_000);

/** Poison needs no history; the null-rate input compares against the trailing ~40 s (the drill waits for it). */
const CASES: HealingCase[] = [playbookCase('poison-records'), playbookCase('null-spike')];

describe.each<LogKind>(['embedded', 'kafka'])('data-quality faults heal through the loop (%s log)', (log) => {
  // Quarantine twice on the same stage: the demo policy's 20 s cooldown must pass between.
  const run = useHealingLoop(log, CASES, { stepGapMs: 22_000 });
  it.each(CASES)('$name', (c) => expectHealed(run, c));
  it('the sink holds every event exactly once', () => expectExactlyOnce(run));
});
