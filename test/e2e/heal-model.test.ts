/**
 * Model faults through the whole loop on the live pipeline, on the embedded log and on the real
 * Kafka broker: a bad model promoted (accuracy drop) and concept drift each open an incident on
 * score, the expected repair (model rollback; retrain–validate–promote) runs and verifies, and
 * the sink ends exactly-once.
 */
import { expectExactlyOnce, expectHealed, playbookCase, useHealingLoop, type HealingCase, type LogKind } from './healing-loop';

jest.setTimeout(20 * 60_000);

const CASES: HealingCase[] = [playbookCase('accuracy-drop'), playbookCase('concept-drift')];

describe.each<LogKind>(['embedded', 'kafka'])('model faults heal through the loop (%s log)', (log) => {
  const run = useHealingLoop(log, CASES);
  it.each(CASES)('$name', (c) => expectHealed(run, c));
  it('the sink holds every event exactly once', () => expectExactlyOnce(run));
});
