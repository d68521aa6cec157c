/**
 * Parity with River 0.26.1 beyond its own tests: 344 cases (10 detectors × several settings ×
 * seeded real-valued and 0/1 streams, stationary ones among them) recorded by
 * bench/river/generate_fixtures.py in test/fixtures/detection/river-parity.json. Drift indices,
 * warning runs and (ADWIN) the window's width / total / variance sum must be identical.
 *
 * CUSUM and EWMA: River 0.26.1 ships neither. Their expected outputs come from River's own
 * main-branch source files (river/drift/cusum.py, river/drift/ewma.py, unreleased), run on top of
 * River 0.26.1's statistics; each case's `reference` names the file, its commit and digest. Every
 * other detector's reference is the River 0.26.1 release itself.
 */
import { type Adwin } from '../../detection/adwin';
import { DETECTOR_NAMES } from '../../detection/detector';
import { build, parityCases, runDetector } from '../fixtures/detection/fixtures';

const file = parityCases();
const streams = file.streams ?? {};

test('the parity fixture covers every detector and was produced by River 0.26.1', () => {
  expect(file.river).toBe('0.26.1');
  expect(new Set(file.cases.map((c) => c.detector))).toEqual(new Set(DETECTOR_NAMES));
  expect(file.cases.length).toBeGreaterThanOrEqual(340);
  for (const c of file.cases) {
    if (c.detector === 'cusum' || c.detector === 'ewma') {
      expect(c.reference).toMatch(new RegExp(`^river/drift/${c.detector}\\.py of online-ml/river main .*not in River 0\\.26\\.1`));
    } else {
      expect(c.reference).toMatch(/^river\.drift\./);
    }
  }
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
