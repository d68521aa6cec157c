/**
 * Schema drift through the whole loop on the live pipeline, on the embedded log and on the real
 * Kafka broker: a renamed, a dropped and a retyped field each open an incident at the source,
 * schema rollback runs and verifies (its data check reads only profiles from after the repair),
 * and the sink ends exactly-once.
 */
import { expectExactlyOnce, expectHealed, playbookCase, useHealingLoop, type HealingCase, type LogKind } from './healing-loop';

jest.setTimeout(20 * 60_000);

const CASES: HealingCase[] = [
  playbookCase('schema-drift', { name: 'schema drift: field renamed' }),
  playbookCase('schema-drift', { name: 'schema drift: field dropped', spec: { fault: 'schema-drift', mode: 'drop', field: 'category' } }),
  playbookCase('schema-drift', { name: 'schema drift: type changed', spec: { fault: 'schema-drift', mode: 'type', field: 'amount' } }),
];

describe.each<LogKind>(['embedded', 'kafka'])('schema drift heals through the loop (%s log)', (log) => {
  // The same repair on the same source three times: the demo policy's 30 s cooldown must pass between.
  const run = useHealingLoop(log, CASES, { stepGapMs: 32_000 });
  it.each(CASES)('$name', (c) => expectHealed(run, c));
  it('the sink holds every event exactly once', () => expectExactlyOnce(run));
});
