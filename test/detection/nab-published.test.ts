/**
 * Homeostat's scorer is NAB's: a slice of the check `homeostat nab --published <NAB checkout>`
 * runs on the full published results (docs/nab.md, "The scorer"). The fixture was written by
 * `bench/nab/published-fixture.ts` from numenta/NAB ea702d7; it holds NAB's figures and, for six
 * files, only the rows whose published score reaches NAB's lowest threshold for that detector.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROFILE_NAMES, probationRows } from '../../detection/nab/corpus';
import { type PublishedFixture, nabRandomScores, scorePublishedFiles } from '../../detection/nab/published';
import { scoreFile } from '../../detection/nab/scorer';
import { PythonRandom } from '../../detection/python-random';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'nab', 'published-slice.json'), 'utf8')) as PublishedFixture;
const PROFILES = {
  standard: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 },
};

describe("NAB's published results, scored by Homeostat", () => {
  it.each(fixture.slice.map((s) => [s.detector, s.key, s] as const))('%s on %s: NAB’s per-file score and counts at NAB’s thresholds', (_d, _k, s) => {
    const file = { values: new Float64Array(s.rows), windows: s.windows, probation: probationRows(s.rows) };
    expect(file.probation).toBe(s.probation);
    const scores = new Float64Array(s.rows);
    for (const [row, score] of s.detections) scores[row] = score;
    for (const p of PROFILE_NAMES) {
      const nab = s.nab[p];
      const ours = scoreFile(file, scores, nab.threshold, PROFILES[p]);
      // NAB writes these with 12 significant digits.
      expect(ours.score).toBeCloseTo(nab.score, 8);
      expect(ours.fp).toBe(nab.fpRows);
      const inWindow = s.detections.filter(([r, v]) => v >= nab.threshold && r >= file.probation && s.windows.some(([a, b]) => r >= a && r <= b));
      expect(inWindow.length).toBe(nab.tpRows);
    }
  });

  it("NAB's random detector, regenerated row for row, reproduces final_results.json on the whole corpus", () => {
    // random.seed(42); random.uniform(0, 1): the first draws as CPython gives them.
    const py = new PythonRandom(42);
    expect([py.random(), py.random()]).toEqual([0.6394267984578837, 0.025010755222666936]);
    const scored = fixture.geometry.map((g) => ({ file: { values: new Float64Array(g.rows), windows: g.windows, probation: probationRows(g.rows) }, scores: nabRandomScores(g.rows) }));
    expect(scored.reduce((n, f) => n + f.file.values.length, 0)).toBe(365_558);
    expect(scored.reduce((n, f) => n + f.file.windows.length, 0)).toBe(116);
    const row = scorePublishedFiles('random', scored, PROFILES, fixture.nab.random, fixture.thresholds.random);
    for (const p of PROFILE_NAMES) {
      expect(Math.abs(row.differenceAtNab[p])).toBeLessThan(1e-6);
    }
    // The exact sweep finds better thresholds than the ones NAB stored for this detector.
    expect(PROFILE_NAMES.map((p) => Number(row.sweep[p].score.toFixed(3)))).toEqual([17.655, 7.48, 27.575]);
    expect(PROFILE_NAMES.map((p) => fixture.nab.random[p].toFixed(3))).toEqual(['16.832', '5.764', '25.876']);
  });
});
