/**
 * What the NAB figures are reported with: the weighted single-sort sweep behind the bootstrap, the
 * fixed-threshold score of a detector that decides by itself (the sentinel as deployed), block
 * alignments, the 2-fold split, and the tuning harness's cached path (bench/nab/tune.ts), which must
 * reproduce the streaming detector exactly. On the two-file fixture corpus.
 */
import path from 'node:path';
import { cacheFile, coordinateSearch, evaluator, neutralStart, scoresFromCache } from '../../bench/nab/tune';
import { loadCorpus } from '../../detection/nab/corpus';
import { nabDetector } from '../../detection/nab/detectors';
import { PEAK_GATE_MULTISCALE_PARAMS, multiScaleNabDetector } from '../../detection/nab/multiscale';
import { alignmentSpread, bootstrapFiles, twoFold } from '../../detection/nab/robustness';
import { runNab, scoreRows } from '../../detection/nab/run';
import { prepareSweep, scoreAtThreshold, sweepPrepared, sweepProfile } from '../../detection/nab/scorer';

const corpus = loadCorpus(path.join(__dirname, '..', 'fixtures', 'nab', 'mini'));
const STANDARD = corpus.profiles.standard;
const scored = corpus.files.map((file) => ({ file, scores: scoreRows(nabDetector('homeostat-tuned'), file) }));

describe('sweeps for resampled corpora', () => {
  it('file weights count a file that many times; a fixed threshold scores a decision', () => {
    const prep = prepareSweep(scored);
    expect(sweepPrepared(prep, STANDARD)).toEqual(sweepProfile(scored, STANDARD));
    expect(sweepPrepared(prep, STANDARD, [2, 0]).raw).toBeCloseTo(sweepProfile([scored[0], scored[0]], STANDARD).raw, 9);
    for (const t of [0.1, 0.3, 0.9]) {
      const fixed = sweepPrepared(prep, STANDARD, undefined, t);
      const direct = scoreAtThreshold(scored, STANDARD, t);
      expect(fixed.raw).toBeCloseTo(direct.raw, 9);
      expect([fixed.tp, fixed.fp]).toEqual([direct.tp, direct.fp]);
    }
  });

  it('the bootstrap interval is deterministic per seed and ordered', () => {
    const a = bootstrapFiles(scored, corpus.profiles, 50, 3);
    expect(bootstrapFiles(scored, corpus.profiles, 50, 3)).toEqual(a);
    for (const p of Object.values(a)) expect(p.low).toBeLessThanOrEqual(p.high);
    expect(() => bootstrapFiles(scored, corpus.profiles, 5)).toThrow(/replicates/);
  });
});

describe('alignments and folds', () => {
  it('shifting the blocks changes the tuned configuration’s scores; the frozen one runs at every alignment', () => {
    const tuned = nabDetector('homeostat-tuned');
    const f = corpus.files[0];
    expect(Array.from(scoreRows(tuned.aligned?.(0.5) ?? tuned, f))).not.toEqual(Array.from(scoreRows(tuned, f)));
    const spread = alignmentSpread(nabDetector('homeostat'), corpus);
    expect(spread?.runs.map((r) => r.alignment)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(alignmentSpread(nabDetector('sentinel'), corpus)).toBeNull();
  });

  it('two folds alternate within each group', () => {
    const files = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2'].map((key) => ({ ...corpus.files[0], key, group: key.split('/')[0] }));
    expect(twoFold(files).map((f) => f.map((x) => x.key))).toEqual([
      ['a/1', 'a/3', 'b/1'],
      ['a/2', 'b/2'],
    ]);
  });
});

describe('the sentinel as deployed', () => {
  it('scores 1 exactly where the component opens, and is reported at that decision', () => {
    // A level shift at row 300 in a stream of small deterministic noise.
    const n = 400;
    const values = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 13) / 13 + (i >= 300 ? 5 : 0));
    const timestamps = Float64Array.from({ length: n }, (_, i) => Date.UTC(2020, 0, 1) + i * 300_000);
    const file = { key: 'g/shift.csv', group: 'g', name: 'shift', timestampText: [], timestamps, values, windows: [[290, 319]] as [number, number][], probation: 60 };
    const r = runNab({ corpus: { files: [file], profiles: corpus.profiles, windowCount: 1, rowCount: n }, detector: nabDetector('sentinel') });
    const scores = Array.from(r.scored[0].scores);
    expect(scores.every((s) => s === 0 || s === 1)).toBe(true);
    expect(scores.indexOf(1)).toBeGreaterThanOrEqual(300);
    expect(r.atDecision?.standard).toEqual(scoreAtThreshold(r.scored, STANDARD, 1));
    expect(r.atDecision?.standard.tp).toBe(1);
  });
});

describe('the tuning harness', () => {
  it('its cached path gives the streaming detector’s scores exactly, and a search never lowers the score', () => {
    for (const params of [PEAK_GATE_MULTISCALE_PARAMS, neutralStart()]) {
      for (const file of corpus.files) {
        expect(Array.from(scoresFromCache(params, file, cacheFile(params, file)))).toEqual(Array.from(scoreRows(multiScaleNabDetector(params), file)));
      }
    }
    const evaluate = evaluator(corpus, neutralStart());
    const start = evaluate(neutralStart(), corpus.files);
    const result = coordinateSearch(evaluate, neutralStart(), corpus.files, 1, () => undefined);
    expect(result.score).toBeGreaterThanOrEqual(start);
    expect(evaluate(result.params, corpus.files)).toBe(result.score);
  });
});
