/**
 * The drift suite on River 0.26.1's generators (bench/drift/): the stream file format, the scoring
 * rules, the frozen settings (chosen on no-drift streams only, for ≤ 1 false alarm per 10,000
 * samples) and exact detection indices on one drifting and one no-drift stream.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { CALIBRATION_STREAMS, FROZEN_SETTINGS, SUITE_STREAMS, type suiteJson } from '../../bench/drift-suite';
import { calibrateDetector, readFrozen } from '../../detection/drift/frozen';
import { parseStreams, readStreams } from '../../detection/drift/stream-file';
import { SUITE_DETECTORS, detectionsOf, fusionDetections, scoreDetections } from '../../detection/drift/suite';

const BIN = path.resolve(__dirname, '../../bin/homeostat.js');
const frozen = readFrozen(FROZEN_SETTINGS);
const streams = readStreams(SUITE_STREAMS);
const calibration = readStreams(CALIBRATION_STREAMS);
const binary = frozen.detectors.filter((d) => d.kind === 'binary');
const numeric = frozen.detectors.filter((d) => d.kind === 'numeric');

describe('stream files', () => {
  it('reads the line format, defaults the tolerance, and names the line and field of a bad one', () => {
    const [s] = parseStreams('{"name":"a","kind":"binary","values":[0,1,1],"changePoints":[1]}\n', 'x.jsonl');
    expect([s.name, s.kind, Array.from(s.values), s.changePoints, s.tolerance, s.group]).toEqual(['a', 'binary', [0, 1, 1], [1], 1000, 'a']);
    expect(() => parseStreams('\n{"name":"a","kind":"binary","values":[0,2],"changePoints":[]}', 'x.jsonl')).toThrow(/x\.jsonl:2: .*values\.1.*only 0 and 1/);
    expect(() => parseStreams('{"name":"a","kind":"numeric","values":[0],"changePoints":[3]}', 'x.jsonl')).toThrow(/x\.jsonl:1: .*changePoints\.0/);
    expect(() => parseStreams('{"kind":"numeric","values":[0],"changePoints":[]}', 'x.jsonl')).toThrow(/x\.jsonl:1: .*name/);
    expect(() => parseStreams('{"name":"a","kind":"text","values":[0],"changePoints":[]}', 'x.jsonl')).toThrow(/kind/);
    expect(() => parseStreams('not json', 'x.jsonl')).toThrow(/x\.jsonl:1: not JSON/);
  });

  it('the suite: River 0.26.1, seven generators × abrupt and gradual through a learner, FriedmanDrift numeric streams; calibration streams have no drift', () => {
    const groups = new Set(streams.filter((s) => s.kind === 'binary').map((s) => s.group));
    expect([...groups].sort()).toEqual(['agrawal', 'hyperplane', 'led', 'rbf', 'sea', 'sine', 'stagger']);
    expect(new Set(streams.map((s) => s.variant))).toEqual(new Set(['abrupt', 'gradual']));
    expect(new Set(streams.filter((s) => s.kind === 'numeric').map((s) => s.group))).toEqual(new Set(['friedman-gra', 'friedman-gsg', 'friedman-lea']));
    expect(streams.every((s) => s.values.length === 10_000)).toBe(true);
    expect(calibration.every((s) => s.changePoints.length === 0)).toBe(true);
    const raw = JSON.parse(zlib.gunzipSync(fs.readFileSync(SUITE_STREAMS)).toString('utf8').split('\n')[0]) as { river: string };
    expect(raw.river).toBe('0.26.1');
  });
});

describe('scoring', () => {
  it('a detection counts for a change point within the tolerance after it, the first one only', () => {
    const c = scoreDetections([50, 1010, 1020, 2500, 3290], [1000, 2000, 3000], 4000, 300);
    expect(c).toEqual({ changePoints: 3, detections: 5, matched: 2, falseAlarms: 3, delaySum: 10 + 290, samples: 4000 });
    expect(scoreDetections([], [], 100, 10)).toEqual({ changePoints: 0, detections: 0, matched: 0, falseAlarms: 0, delaySum: 0, samples: 100 });
  });
});

describe('frozen settings', () => {
  it('cover every suite detector and were chosen on the calibration streams, no other', () => {
    expect(frozen.detectors.map((d) => `${d.kind}/${d.name}`)).toEqual(SUITE_DETECTORS.map((d) => `${d.kind}/${d.name}`));
    expect(frozen.calibration.file).toBe('bench/drift/calibration.jsonl.gz');
    expect(frozen.targetFalseAlarmsPer10k).toBe(1);
  });

  it('give the recorded false-alarm rate on the no-drift streams, within the target where it was met', () => {
    for (const d of frozen.detectors) {
      const own = calibration.filter((s) => s.kind === d.kind);
      const alarms = own.reduce((n, s) => n + detectionsOf(d, s.values).length, 0);
      const rate = (1e4 * alarms) / own.reduce((n, s) => n + s.values.length, 0);
      expect({ d: `${d.kind}/${d.name}`, rate }).toEqual({ d: `${d.kind}/${d.name}`, rate: d.calibrationFalseAlarmsPer10k });
      if (d.met) expect(rate).toBeLessThanOrEqual(1);
    }
    // DDM and the 0/1 CUSUM cannot meet it: on a stream whose learner makes no error for a while
    // their reference deviation is 0, and the next error is a detection whatever the threshold.
    expect(frozen.detectors.filter((d) => !d.met).map((d) => `${d.kind}/${d.name}`)).toEqual(['binary/ddm', 'binary/cusum']);
  });

  it('recalibrating reproduces the frozen values', () => {
    for (const key of ['binary/page-hinkley', 'numeric/adwin']) {
      const spec = SUITE_DETECTORS.find((d) => `${d.kind}/${d.name}` === key);
      const want = frozen.detectors.find((d) => `${d.kind}/${d.name}` === key);
      expect(spec && calibrateDetector(spec, calibration, 1).knob).toEqual(want?.knob);
    }
  });
});

describe('detections at exact indices', () => {
  it('STAGGER, abrupt change at 4371: every binary detector and the fusion', () => {
    const s = streams.find((x) => x.name === 'stagger-abrupt-0');
    if (!s) throw new Error('stagger-abrupt-0 missing');
    expect(s.changePoints).toEqual([4371]);
    const got = Object.fromEntries(binary.filter((d) => d.name !== 'bernoulli-cusum').map((d) => [d.name, detectionsOf(d, s.values)]));
    expect(got).toEqual({
      ddm: [4971],
      eddm: [4908],
      'hddm-a': [335, 2485, 4397],
      'hddm-w': [4404],
      fhddm: [2479, 4418],
      adwin: [2527, 3103, 4415, 6111, 6527],
      'page-hinkley': [2624, 4428],
      cusum: [4464],
      ewma: [2435, 4397, 4702, 4890, 5180],
      kswin: [4403, 6060],
    });
    expect(fusionDetections(binary, s.values)).toEqual([2479, 4397]);
  });

  it('FriedmanDrift, recurring abrupt changes at 4020 and 7685: the numeric detectors', () => {
    const s = streams.find((x) => x.name === 'friedman-gra-0');
    if (!s) throw new Error('friedman-gra-0 missing');
    expect(s.changePoints).toEqual([4020, 7685]);
    expect(Object.fromEntries(numeric.map((d) => [d.name, detectionsOf(d, s.values)]))).toEqual({
      adwin: [3071, 5983, 7391, 7711],
      'page-hinkley': [6501],
      cusum: [7707],
      ewma: [1086, 3225],
      kswin: [7417],
    });
  });

  it('no drift: no detector and no fusion fires on a STAGGER calibration stream', () => {
    const s = calibration.find((x) => x.name === 'stagger-nodrift-0');
    if (!s) throw new Error('stagger-nodrift-0 missing');
    for (const d of binary) expect({ d: d.name, hits: detectionsOf(d, s.values) }).toEqual({ d: d.name, hits: [] });
    expect(fusionDetections(binary, s.values)).toEqual([]);
  });
});

describe('the whole suite (child process: the benchmark itself)', () => {
  it('fusion over every stream: the figures the README quotes', () => {
    const r = spawnSync(process.execPath, [BIN, 'bench', 'drift-suite', '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as ReturnType<typeof suiteJson>;
    // 84 change points (56 binary, 28 numeric): 61 detected, 159 fusion detections in 680,000 samples.
    expect(out.fusion).toEqual({ precision: 61 / 159, recall: 61 / 84, meanDelay: expect.closeTo(319.754, 3) as number, falseAlarmsPer10k: (1e4 * 98) / 680_000 });
    expect(out.detectors.map((d) => d.name)).toEqual(['ddm', 'eddm', 'hddm-a', 'hddm-w', 'fhddm', 'adwin', 'page-hinkley', 'cusum', 'ewma', 'kswin', 'bernoulli-cusum']);
  });
});

describe('homeostat bench drift-suite --streams (child process)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drift-streams-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (file: string, json: boolean) => spawnSync(process.execPath, [BIN, 'bench', 'drift-suite', '--streams', file, ...(json ? ['--json'] : [])], { encoding: 'utf8', timeout: 120_000 });

  it('scores external streams with the frozen settings: --json has exactly the documented shape', () => {
    const s = streams.find((x) => x.name === 'stagger-abrupt-0');
    const n = streams.find((x) => x.name === 'friedman-gra-0');
    if (!s || !n) throw new Error('streams missing');
    const file = path.join(dir, 'mine.jsonl');
    fs.writeFileSync(
      file,
      [
        { name: 'errors', kind: 'binary', values: Array.from(s.values), changePoints: [4371], tolerance: 1000 },
        { name: 'latency', kind: 'numeric', values: Array.from(n.values), changePoints: [4020, 7685] },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const r = run(file, true);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { detectors: Record<string, unknown>[]; fusion: Record<string, unknown> };
    expect(Object.keys(out)).toEqual(['detectors', 'fusion']);
    for (const d of out.detectors) expect(Object.keys(d)).toEqual(['name', 'precision', 'recall', 'meanDelay', 'falseAlarmsPer10k']);
    expect(Object.keys(out.fusion)).toEqual(['precision', 'recall', 'meanDelay', 'falseAlarmsPer10k']);
    // page-hinkley: binary [2624, 4428] (one match, one false alarm) + numeric [6501] (a false alarm).
    expect(out.detectors.find((d) => d.name === 'page-hinkley')).toEqual({ name: 'page-hinkley', precision: 1 / 3, recall: 1 / 3, meanDelay: 57, falseAlarmsPer10k: 1 });
    const text = run(file, false);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/\[binary · errors\]/);
    expect(text.stdout).toMatch(/^fusion\s/m);
  });

  it('a bad line exits 2 naming the file, line and field, with nothing on stdout', () => {
    const file = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(file, '{"name":"a","kind":"binary","values":[0,1],"changePoints":[]}\n{"name":"b","kind":"binary","values":[0,3],"changePoints":[]}\n');
    const r = run(file, true);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bad\.jsonl:2: .*values/);
  });
});
