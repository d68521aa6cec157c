/**
 * A stage that falls behind (slow-down → scale-out) and a corrupted latest checkpoint (→ checkpoint
 * restore, approved by the on-call lead) through the whole loop, on the embedded log and on the
 * real Kafka broker; the sink ends exactly-once. The corrupted checkpoint arrives as a crash first
 * (the process is killed, then fails to load its state): the incident opened on the crash is
 * diagnosed again when the corrupt-checkpoint crash follows.
 */
import { expectExactlyOnce, expectHealed, playbookCase, useHealingLoop, type HealingCase, type LogKind } from './healing-loop';

jest.setTimeout(20 * 60_000);

const CASES: HealingCase[] = [playbookCase('slow-down'), playbookCase('corrupt-checkpoint')];

describe.each<LogKind>(['embedded', 'kafka'])('capacity and state faults heal through the loop (%s log)', (log) => {
  const run = useHealingLoop(log, CASES);
  it.each(CASES)('$name', (c) => expectHealed(run, c));
  it('the sink holds every event exactly once', () => expectExactlyOnce(run));
});
