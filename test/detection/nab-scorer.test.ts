import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCorpus, parseNabCsv, probationRows } from '../../detection/nab/corpus';
import { homeostatNabDetector, nullNabDetector, type NabDetectorFactory } from '../../detection/nab/detector';
import { runNab } from '../../detection/nab/run';
import { scaledSigmoid, scoreFile, sweepProfile } from '../../detection/nab/scorer';

const MINI = path.join(__dirname, '..', 'fixtures', 'nab', 'mini');
const STANDARD = { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 };

/** Knows the labels: fires once, on the first row of every window. Only a check of the scorer. */
function perfect(windowsByLength: Map<number, [number, number][]>): NabDetectorFactory {
  return {
    name: 'perfect',
    create: ({ probation }) => {
      let row = 0;
      let wins: [number, number][] | undefined;
      return {
        next: () => {
          // The mini corpus files have distinct lengths, so probation identifies the file.
          wins ??= windowsByLength.get(probation) ?? [];
          const r = row++;
          return wins.some(([a]) => a === r) ? 1 : 0;
        },
      };
    },
  };
}

describe('NAB scoring rules', () => {
  it('scaled sigmoid: S(−1) ≈ 0.9866, S(0) = 0, −1 beyond 3', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.986614298, 9);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3.01)).toBe(-1);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.986614298, 9);
  });

  it('probation is min(floor(0.15·rows), 750)', () => {
    expect(probationRows(400)).toBe(60);
    expect(probationRows(4032)).toBe(604);
    expect(probationRows(22695)).toBe(750);
  });

  it('values a true positive, a false positive after a window and a lone false positive by the rules', () => {
    const file = { values: new Float64Array(400), windows: [[190, 209]] as [number, number][], probation: 60 };
    const scores = new Float64Array(400);
    scores[200] = 1; // p = −(209 − 200 + 1)/20 = −0.5
    scores[205] = 1; // later detection in the same window: ignored
    scores[215] = 1; // FP, position |209 − 215|/19 after the window
    scores[100] = 1; // FP, no window before it
    scores[10] = 1; // probation: never scored
    const parts = scoreFile(file, scores, 0.5, STANDARD);
    const tp = scaledSigmoid(-0.5) / scaledSigmoid(-1);
    const fp = 0.11 * scaledSigmoid(6 / 19) - 0.11;
    expect(tp).toBeCloseTo(Math.tanh(1.25) / Math.tanh(2.5), 12); // 2·sigmoid(2x) − 1 = tanh(x)
    expect(tp).toBeCloseTo(0.859793, 6);
    expect(parts).toEqual({ tp: 1, fp: 2, fn: 0, score: expect.any(Number) as number });
    expect(parts.score).toBeCloseTo(tp + fp, 12);
    // A missed window costs fnWeight (2 in reward_low_FN_rate).
    expect(scoreFile(file, new Float64Array(400), 0.5, { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 }).score).toBe(-2);
  });

  it('the incremental threshold sweep equals brute force over every threshold', () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const files = [0, 1, 2].map((f) => {
      const n = 300 + 50 * f;
      const windows: [number, number][] = f === 2 ? [] : [[100 + f * 10, 130 + f * 10], [220, 240]];
      const scores = Float64Array.from({ length: n }, () => Math.round(rnd() * 40) / 40);
      return { file: { values: new Float64Array(n), windows, probation: probationRows(n) }, scores };
    });
    const thresholds = [...new Set(files.flatMap((f) => [...f.scores]))].concat([Infinity]);
    for (const profile of [STANDARD, { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 }, { tpWeight: 1, fnWeight: 1, fpWeight: 0.22 }]) {
      const brute = Math.max(...thresholds.map((t) => files.reduce((s, f) => s + scoreFile(f.file, f.scores, t, profile).score, 0)));
      expect(sweepProfile(files, profile).raw).toBeCloseTo(brute, 9);
    }
  });
});

describe('NAB runner on a two-file corpus', () => {
  const corpus = loadCorpus(MINI);

  it('loads windows as row ranges and probation per file', () => {
    expect(corpus.files.map((f) => [f.key, f.windows, f.probation])).toEqual([
      ['g/a.csv', [[190, 209], [320, 339]], 60],
      ['g/b.csv', [], 45],
    ]);
    expect(corpus.windowCount).toBe(2);
  });

  it('the null detector scores 0 and a perfect detector 100 on every profile', () => {
    const nul = runNab({ corpus, detector: nullNabDetector }).scores;
    const byProbation = new Map(corpus.files.map((f) => [f.probation, f.windows]));
    const per = runNab({ corpus, detector: perfect(byProbation) }).scores;
    for (const p of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const) {
      expect(nul[p].score).toBe(0);
      expect(per[p].score).toBeCloseTo(100, 10);
    }
  });

  it('the homeostat configuration finds both injected spikes and writes NAB results files', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nab-'));
    const r = runNab({ corpus, detector: homeostatNabDetector(), outDir: out });
    expect(r.scores.standard.tp).toBe(2);
    expect(r.scores.standard.score).toBeGreaterThan(80);
    const file = path.join(out, 'homeostat', 'g', 'homeostat_a.csv');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score,label');
    expect(lines).toHaveLength(401);
    expect(lines[191].split(',')[3]).toBe('1');
    expect(lines[190].split(',')[3]).toBe('0');
    fs.rmSync(out, { recursive: true });
  });

  it('rejects a malformed data line, naming the file and line', () => {
    expect(() => parseNabCsv('x.csv', 'timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:05:00,abc\n')).toThrow(/x\.csv:3: expected "timestamp,number"/);
    expect(() => parseNabCsv('x.csv', 'ts,v\n')).toThrow(/header must be "timestamp,value"/);
  });
});
