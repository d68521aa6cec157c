import { calibrate, formatCalibration, replayReplicates } from '../../detection/calibration';
import { createDetector } from '../../detection/registry';
import { RandomState } from '../../detection/random';

describe('calibration for a target mean time between false alarms', () => {
  const rng = new RandomState(7);
  const healthy = Array.from({ length: 2000 }, () => rng.normal(10, 1));

  it('chooses, per detector, the most sensitive setting that meets the target on the replayed reference', () => {
    const report = calibrate(healthy, [{ detector: 'page-hinkley' }, { detector: 'cusum' }, { detector: 'ewma' }], { targetMtbfa: 5000, seed: 3 });
    expect(report.replicates).toBe(8);
    for (const c of report.choices) {
      expect(c.met).toBe(true);
      expect(c.mtbfa).toBeGreaterThanOrEqual(5000);
      expect(c.samplesReplayed).toBe(16000);
    }
    // A replay with the chosen setting, checked independently, meets the target too.
    const cusum = report.choices.find((c) => c.detector === 'cusum');
    const reps = replayReplicates(Float64Array.from(healthy), 8, true, 50, 3);
    let alarms = 0;
    for (const r of reps) {
      const d = createDetector('cusum', { threshold: cusum?.value });
      for (const x of r) if (d.update(x).driftDetected) alarms++;
    }
    expect(alarms).toBe(cusum?.falseAlarms);
    expect(formatCalibration(report)).toMatch(/^page-hinkley: threshold = [\d.]+ → MTBFA/);
  });

  it('is deterministic for a seed and still detects a real shift with the calibrated setting', () => {
    const a = calibrate(healthy, [{ detector: 'page-hinkley' }], { targetMtbfa: 5000, seed: 9 });
    const b = calibrate(healthy, [{ detector: 'page-hinkley' }], { targetMtbfa: 5000, seed: 9 });
    expect(a).toEqual(b);
    const ph = createDetector('page-hinkley', { threshold: a.choices[0].value });
    const r2 = new RandomState(11);
    let at = -1;
    for (let i = 0; i < 3000 && at < 0; i++) if (ph.update(r2.normal(i < 1000 ? 10 : 12, 1)).driftDetected) at = i;
    expect(at).toBeGreaterThanOrEqual(1000);
  });

  it('reports "not met" when even the least sensitive end alarms too often, and validates input', () => {
    const r = calibrate(healthy, [{ detector: 'cusum', knob: { param: 'threshold', lessSensitive: 'up', range: [0.01, 0.02], log: false } }], { targetMtbfa: 1000 });
    expect(r.choices[0].met).toBe(false);
    expect(() => calibrate([1], [{ detector: 'cusum' }], { targetMtbfa: 10 })).toThrow(/at least 2 samples/);
    expect(() => calibrate(healthy, [{ detector: 'nope' }], { targetMtbfa: 10 })).toThrow(/no knob known/);
  });
});
