export function testTemporalAddress(): string {
  const a = process.env.HOMEOSTAT_TEST_TEMPORAL_ADDRESS;
  if (!a) throw new Error('HOMEOSTAT_TEST_TEMPORAL_ADDRESS is not set: the Jest global setup did not start Temporal');
  return a;
}
