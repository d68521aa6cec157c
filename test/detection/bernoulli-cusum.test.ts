/**
 * The Bernoulli CUSUM beyond the contract every detector shares (streaming.test.ts runs that one
 * for it too): the likelihood-ratio increments, the reference it keeps, the hold-off, settings.
 */
import { HomeostatError } from '../../common/errors';
import { BernoulliCusum } from '../../detection/bernoulli-cusum';
import { calibrate } from '../../detection/calibration';
import { RandomState } from '../../detection/random';
import { createDetector } from '../../detection/registry';

/** Seeded 0/1 stream: `length` samples per rate, in order. */
function errors(seed: number, rates: readonly number[], length: number): number[] {
  const rng = new RandomState(seed);
  return rates.flatMap((p) => Array.from({ length }, () => (rng.randomDouble() < p ? 1 : 0)));
}

/** Deterministic 0/1 block with exactly `k` errors in 100, spread evenly. */
function block(k: number): number[] {
  return Array.from({ length: 100 }, (_, i) => (Math.floor(((i + 1) * k) / 100) > Math.floor((i * k) / 100) ? 1 : 0));
}

function detections(d: BernoulliCusum, xs: readonly number[]): number[] {
  return xs.flatMap((x, t) => (d.update(x).driftDetected ? [t] : []));
}

describe('BernoulliCusum', () => {
  it('adds ln(p₁/p₀) per error and ln((1 − p₁)/(1 − p₀)) per correct prediction, with p₁ at oddsRatio × p₀ odds', () => {
    const d = new BernoulliCusum({ reference: 100, oddsRatio: 3, threshold: 100 });
    for (const x of block(20)) d.update(x);
    expect(d.referenceRate).toBeCloseTo(0.2, 12);
    const p1 = (0.25 * 3) / (1 + 0.25 * 3); // odds 0.25 × 3
    d.update(1);
    expect(d.score * 100).toBeCloseTo(Math.log(p1 / 0.2), 12);
    d.update(1);
    expect(d.score * 100).toBeCloseTo(2 * Math.log(p1 / 0.2), 12);
    d.update(0);
    expect(d.score * 100).toBeCloseTo(2 * Math.log(p1 / 0.2) + Math.log((1 - p1) / 0.8), 12);
    // A fractional input weighs both increments: x = 0.5 adds their mean.
    const before = d.score * 100;
    d.update(0.5);
    expect(d.score * 100).toBeCloseTo(before + 0.5 * Math.log(p1 / 0.2) + 0.5 * Math.log((1 - p1) / 0.8), 12);
  });

  it('detects a rise of the error rate soon after it starts, and never a fall', () => {
    const rise = errors(7, [0.1, 0.2], 1500);
    const up = detections(new BernoulliCusum({ threshold: 8, holdOff: 5000 }), rise);
    expect(up).toHaveLength(1);
    expect(up[0]).toBeGreaterThanOrEqual(1500);
    expect(up[0]).toBeLessThan(1900);
    expect(detections(new BernoulliCusum({ threshold: 8 }), errors(7, [0.1, 0.03], 1500))).toEqual([]);
  });

  it('keeps its reference after a detection, so a second degradation after a recovery is caught', () => {
    // 10 % errors, 25 % (stale model), 10 % again (retrained), then 25 % once more.
    const xs = [10, 25, 10, 25].flatMap((k) => Array.from({ length: 8 }, () => block(k)).flat());
    const d = new BernoulliCusum({ reference: 500, threshold: 6, holdOff: 900 });
    const hits = detections(d, xs);
    expect(hits).toHaveLength(2);
    expect(hits[0]).toBeGreaterThanOrEqual(800);
    expect(hits[0]).toBeLessThan(1000);
    expect(hits[1]).toBeGreaterThanOrEqual(2400);
    expect(hits[1]).toBeLessThan(2600);
    expect(d.referenceRate).toBeCloseTo(0.1, 12);
  });

  it('stays silent for holdOff updates after a detection, then alarms again while the rate stays high', () => {
    const xs = errors(3, [0.1, 0.3], 3000);
    const free = detections(new BernoulliCusum({ threshold: 5 }), xs);
    expect(free.length).toBeGreaterThan(5); // a lasting degradation alarms over and over without a hold-off
    const d = new BernoulliCusum({ threshold: 5, holdOff: 1000 });
    const held: number[] = [];
    xs.forEach((x, t) => {
      d.update(x);
      if (d.driftDetected) held.push(t);
      if (held.length > 0 && t > held[held.length - 1] && t <= held[held.length - 1] + 1000) expect(d.score).toBe(0);
    });
    expect(held.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < held.length; i++) expect(held[i] - held[i - 1]).toBeGreaterThan(1000);
  });

  it('gives a reference without errors a defined rate, so the first errors still count', () => {
    const d = new BernoulliCusum({ reference: 200, threshold: 4 });
    const hits = detections(d, [...new Array<number>(400).fill(0), ...new Array<number>(8).fill(1)]);
    expect(d.referenceRate).toBe(0.5 / 200);
    // Each error adds ln(p₁/p₀) ≈ ln 2 (p₁ ≈ 2 p₀ for so small a rate): the sixth passes 4 nats.
    expect(hits).toEqual([405]);
  });

  it('checks its settings and names the valid values', () => {
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        return err instanceof HomeostatError ? `${err.code}: ${err.message}` : String(err);
      }
      return 'no error';
    };
    expect(code(() => new BernoulliCusum({ oddsRatio: 1 }))).toMatch(/HS_INVALID_INPUT.*oddsRatio.*> 1/);
    expect(code(() => new BernoulliCusum({ oddsRatio: 0.5 }))).toMatch(/HS_INVALID_INPUT.*oddsRatio/);
    expect(code(() => new BernoulliCusum({ reference: 0 }))).toMatch(/HS_INVALID_INPUT.*reference.*integer ≥ 1/);
    expect(code(() => new BernoulliCusum({ holdOff: -1 }))).toMatch(/HS_INVALID_INPUT.*holdOff.*integer ≥ 0/);
    expect(code(() => new BernoulliCusum({ threshold: 0 }))).toMatch(/HS_INVALID_INPUT.*threshold/);
    expect(code(() => createDetector('bernoulli-cusum', { odds: 2 }))).toMatch(/"odds".*reference, oddsRatio, threshold, holdOff/);
  });

  it('is calibrated through its threshold like the registry detectors', () => {
    const healthy = Float64Array.from(errors(11, [0.1], 6000));
    const [choice] = calibrate(healthy, [{ detector: 'bernoulli-cusum', params: { holdOff: 500 } }], { targetMtbfa: 20_000, seed: 3, iterations: 20 }).choices;
    expect(choice.param).toBe('threshold');
    expect(choice.met).toBe(true);
    expect(choice.mtbfa).toBeGreaterThanOrEqual(20_000);
    expect(choice.value).toBeGreaterThan(createDetector('bernoulli-cusum').threshold); // the default alarms more often
  });
});
