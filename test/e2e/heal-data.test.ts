/**
 * Data faults through the whole loop on the live pipeline, on the embedded log and on the real
 * Kafka broker: schema drift (a renamed, a dropped and a retyped field), a null spike, poison
 * records, and an abrupt and a gradual distribution shift each open an incident, the expected
 * repair runs and verifies, and the sink ends exactly-once.
 */
import { expectExactlyOnce, expectHealed, playbookCase, useHealingLoop, type HealingCase, type LogKind } from './healing-loop';

jest.setTimeout(30 * 60_000);

const CASES: HealingCase[] = [
  // Schema changes and poison need no history; null-rate and PSI inputs compare against the
  // trailing ~40 s, so the faults they catch come after the first ones.
  playbookCase('schema-drift', { name: 'schema drift: field renamed' }),
  playbookCase('poison-records'),
  playbookCase('null-spike'),
  playbookCase('schema-drift', { name: 'schema drift: field dropped', spec: { fault: 'schema-drift', mode: 'drop', field: 'category' } }),
  playbookCase('distribution-shift', { name: 'distribution shift: abrupt' }),
  playbookCase('schema-drift', { name: 'schema drift: type changed', spec: { fault: 'schema-drift', mode: 'type', field: 'amount' } }),
  playbookCase('distribution-shift', { name: 'distribution shift: gradual', spec: { fault: 'distribution-shift', shift: 2.5, mode: 'gradual', rampMs: 15_000 } }),
];

describe.each<LogKind>(['embedded', 'kafka'])('data faults heal through the loop (%s log)', (log) => {
  const run = useHealingLoop(log, CASES);
  it.each(CASES)('$name', (c) => expectHealed(run, c));
  it('the sink holds every event exactly once', () => expectExactlyOnce(run));
});
