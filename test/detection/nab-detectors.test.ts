/**
 * The selectable NAB configurations are causal (a row's score never depends on later rows) and
 * deterministic, and the experimental `likelihood` configuration still finds the fixture's first spike.
 */
import path from 'node:path';
import { loadCorpus } from '../../detection/nab/corpus';
import { NAB_DETECTORS, nabDetector } from '../../detection/nab/detectors';
import { runNab, scoreRows } from '../../detection/nab/run';

const corpus = loadCorpus(path.join(__dirname, '..', 'fixtures', 'nab', 'mini'));

describe('NAB detector configurations', () => {
  const file = corpus.files[0];
  const cut = 250;
  const prefix = { ...file, values: file.values.subarray(0, cut), timestamps: file.timestamps.subarray(0, cut), timestampText: file.timestampText.slice(0, cut) };

  it.each(NAB_DETECTORS.map((d) => [d]))('%s: no look-ahead — scoring a prefix gives the prefix of the scores', (name) => {
    const full = scoreRows(nabDetector(name), file);
    const part = scoreRows(nabDetector(name), prefix);
    expect(Array.from(part)).toEqual(Array.from(full.subarray(0, cut)));
    expect(Array.from(scoreRows(nabDetector(name), file))).toEqual(Array.from(full));
  });

  it('the default is the peak-gate multi-scale configuration; likelihood finds the first injected spike of the fixture', () => {
    expect(nabDetector('homeostat').name).toBe('homeostat');
    const rows = (name: 'homeostat' | 'homeostat-peakgate' | 'homeostat-multiscale') => corpus.files.map((f) => Array.from(scoreRows(nabDetector(name), f)));
    expect(rows('homeostat')).toEqual(rows('homeostat-peakgate'));
    expect(rows('homeostat')).not.toEqual(rows('homeostat-multiscale'));
    const r = runNab({ corpus, detector: nabDetector('likelihood') });
    expect(r.detector).toBe('likelihood');
    // The spikes are 130 rows apart, inside its 300-row suppression: the second is emitted only
    // when it scores higher than the first, which on this fixture it does not.
    expect(r.scores.standard.tp).toBeGreaterThanOrEqual(1);
    expect(r.scores.standard.score).toBeGreaterThan(0);
  });
});
