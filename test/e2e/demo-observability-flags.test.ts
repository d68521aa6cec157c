/**
 * `homeostat demo --observability … --models …`: unknown values are refused before anything
 * starts, with the flag and the allowed values named; the help lists both flags.
 */
import { homeostat } from './cli';

test('an unknown --observability is refused with the field and the allowed values', async () => {
  const r = await homeostat(['demo', '--observability', 'graphite', '--duration', '0'], {});
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/observability/);
  expect(r.stderr).toMatch(/embedded.*prometheus|prometheus.*embedded/);
  expect(r.stdout).not.toMatch(/starting Temporal/);
});

test('an unknown --models is refused the same way', async () => {
  const r = await homeostat(['demo', '--models', 'sagemaker', '--duration', '0'], {});
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/models/);
  expect(r.stderr).toMatch(/mlflow/);
});

test('the demo help names both flags', async () => {
  const r = await homeostat(['demo', '--help'], {});
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('--observability <kind>');
  expect(r.stdout).toContain('--models <kind>');
});
