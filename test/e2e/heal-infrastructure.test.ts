/**
 * Infrastructure faults through the whole loop — sentinel → incident workflow → repair template →
 * verification — on the live pipeline, on the embedded log and on the real Kafka broker: each
 * opens an incident, the expected repair runs and verifies, and the sink ends exactly-once.
 * (Capacity and state faults — a slow-down, a corrupted checkpoint: heal-capacity-state.test.ts.)
 */
import { expectExactlyOnce, expectHealed, expectOutcomesMeasured, playbookCase, useHealingLoop, type HealingCase, type LogKind } from './healing-loop';

jest.setTimeout(20 * 60_000);

const CASES: HealingCase[] = [playbookCase('crash'), playbookCase('hang'), playbookCase('memory-growth')];

describe.each<LogKind>(['embedded', 'kafka'])('infrastructure faults heal through the loop (%s log)', (log) => {
  const run = useHealingLoop(log, CASES);
  it.each(CASES)('$name', (c) => expectHealed(run, c));
  it('the sink holds every event exactly once', () => expectExactlyOnce(run));
  it('learn measured every healed repair on the live pipeline', () => expectOutcomesMeasured(run));
});
