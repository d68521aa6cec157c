/**
 * `homeostat detect` as a real child process: stdin in, detection indices (or scores) out,
 * River's parameter names in kebab-case, and nothing on stdout when a run fails.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { RandomState } from '../../detection/random';
import { type FixtureCase, numpyStreams, parityCases } from '../fixtures/detection/fixtures';

const BIN = path.resolve(__dirname, '../../bin/homeostat.js');

function detect(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'detect', ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (values: readonly number[]): string => `${values.join('\n')}\n`;
const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function flags(params: Record<string, unknown>): string[] {
  return Object.entries(params).flatMap(([k, v]) => [`--${kebab(k)}`, String(v)]);
}

const { streams } = numpyStreams();

test('adwin on stream 1 prints the River index 1023 and nothing else', () => {
  const r = detect(['adwin'], lines(streams.stream1));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe('1023\n');
});

test('page-hinkley --mode both and hddm-a --two-sided-test on stream 3 match River', () => {
  expect(detect(['page-hinkley', '--mode', 'both'], lines(streams.stream3)).stdout).toBe('588\n1097\n1585\n');
  expect(detect(['hddm-a', '--two-sided-test'], lines(streams.stream3)).stdout).toBe('531\n1015\n1545\n');
});

describe('every River parameter reaches its detector (cases from river-parity.json)', () => {
  const file = parityCases();
  const pick = (detector: string, params: string): FixtureCase => {
    const c = file.cases.find((x) => x.detector === detector && JSON.stringify(x.params) === params && x.drifts.length > 0);
    if (!c) throw new Error(`no fixture case for ${detector} ${params}`);
    return c;
  };
  const cases = [
    pick('adwin', '{"clock":5,"maxBuckets":2,"minWindowLength":2,"gracePeriod":0}'),
    pick('adwin', '{"delta":0.01,"clock":1}'),
    pick('page-hinkley', '{"minInstances":10,"delta":0.05,"threshold":20,"alpha":0.999}'),
    pick('cusum', '{"minInstances":100,"slack":0.25,"threshold":8}'),
    pick('ewma', '{"alpha":1,"threshold":2.5,"mode":"down"}'),
    pick('ddm', '{"warmStart":100,"warningThreshold":1.5,"driftThreshold":2.5}'),
    pick('eddm', '{"warmStart":10,"alpha":0.99,"beta":0.95}'),
    pick('hddm-w', '{"lambdaVal":0.2,"driftConfidence":0.01,"warningConfidence":0.05,"twoSidedTest":true}'),
  ];
  test.each(cases.map((c) => [`${c.detector} ${flags(c.params).join(' ')} on ${c.stream}`, c] as const))('%s', (_label, c) => {
    const r = detect([c.detector, ...flags(c.params)], lines(file.streams?.[c.stream] ?? []));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(lines(c.drifts));
  });
});

test('bernoulli-cusum takes its own settings: the doc-comment example prints its one detection', () => {
  // detection/bernoulli-cusum.ts: 10 % errors, then 20 % from row 1000 (RandomState 12345).
  const rng = new RandomState(12345);
  const stream = [0.1, 0.2].flatMap((p) => Array.from({ length: 1000 }, () => rng.binomial(1, p)));
  const r = detect(['bernoulli-cusum', '--threshold', '8', '--hold-off', '1000'], lines(stream));
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('1051\n');
  const bad = detect(['bernoulli-cusum', '--odds-ratio', '1'], '0\n');
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('> 1');
});

test('--scores prints one score in [0, 1] per row, 1 at each detection', () => {
  const r = detect(['adwin', '--scores'], lines(streams.stream1));
  expect(r.status).toBe(0);
  const scores = r.stdout.trimEnd().split('\n').map(Number);
  expect(scores).toHaveLength(streams.stream1.length);
  for (const s of scores) expect(s >= 0 && s <= 1).toBe(true);
  expect(scores[1023]).toBe(1);
});

test('a non-numeric line fails naming the line, and nothing is printed as a result', () => {
  // The drift at row 1023 happens before the bad line: its index must not be printed either.
  const input = `${lines(streams.stream1)}12abc\n`;
  const r = detect(['adwin'], input);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(`line ${streams.stream1.length + 1}`);
  expect(r.stderr).toContain('12abc');
});

test('a value the detector refuses (2 for a 0/1 detector) fails naming the line', () => {
  const r = detect(['ddm'], '0\n1\n2\n');
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('line 3');
  expect(r.stderr).toContain('[0, 1]');
});

test('bad settings fail with the valid values and no output', () => {
  let r = detect(['adwin', '--threshold', '3'], '1\n');
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('--delta, --clock, --max-buckets, --min-window-length, --grace-period');
  r = detect(['page-hinkley', '--mode', 'sideways'], '1\n');
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('up, down, both');
  r = detect(['adwin', '--delta', '2'], '1\n');
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('(0, 1)');
  r = detect(['no-such-detector'], '1\n');
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('adwin, page-hinkley, cusum, ddm, eddm, hddm-a, hddm-w, ewma');
});

test('Windows line endings, surrounding spaces and an empty input are accepted', () => {
  expect(detect(['page-hinkley', '--threshold', '1', '--min-instances', '1'], ' 0\r\n0 \r\n5\r\n').stdout).toBe('2\n');
  const empty = detect(['adwin'], '');
  expect(empty.status).toBe(0);
  expect(empty.stdout).toBe('');
});
