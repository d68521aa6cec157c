/**
 * Parity with River 0.26.1 beyond its own tests: 280 cases (8 detectors × several settings ×
 * seeded real-valued and 0/1 streams) recorded by bench/river/generate_fixtures.py in
 * test/fixtures/detection/river-parity.json. Drift indices, warning runs and (ADWIN) the
 * window's width / total / variance sum must be identical.
 */
import { type Adwin } from '../../detection/adwin';
import { DETECTOR_NAMES } from '../../detection/detector';
import { build, parityCases, runDetector } from '../fixtures/detection/fixtures';

const file = parityCases();
const streams = file.streams ?? {};

test('the parity fixture covers every detector and was produced by River 0.26.1', () => {
  expect(file.river).toBe('0.26.1');
  expect(new Set(file.cases.map((c) => c.detector))).toEqual(new Set(DETECTOR_NAMES));
  expect(file.cases.length).toBeGreaterThanOrEqual(250);
});

describe.each(DETECTOR_NAMES.map((name) => [name]))('%s', (name) => {
  const cases = file.cases.filter((c) => c.detector === name);
  test.each(cases.map((c) => [`${JSON.stringify(c.params)} on ${c.stream}`, c] as const))('%s', (_label, c) => {
    const stream = streams[c.stream];
    expect(stream).toBeDefined();
    const result = runDetector(build(c), stream);
    expect(result.drifts).toEqual(c.drifts);
    if (c.warnings) expect(result.warnings).toEqual(c.warnings);
    if (c.trace) {
      const adwin = build(c) as Adwin;
      const wanted = new Set(c.trace.map((t) => t[0]));
      const got: [number, number, number, number][] = [];
      stream.forEach((x, i) => {
        adwin.update(x);
        if (wanted.has(i)) got.push([i, adwin.windowWidth, adwin.windowTotal, adwin.windowVarianceSum]);
      });
      expect(got).toEqual(c.trace);
    }
  });
});
