/** The windowed two-proportion test (detection/proportion-drift.ts) on exact 0/1 rates. */
import { WindowedProportionTest } from '../../detection/proportion-drift';

describe('windowed two-proportion test', () => {
  // Deterministic 0/1 stream with an exact error rate per block of 100: `k` ones spread evenly.
  const block = (k: number): number[] => Array.from({ length: 100 }, (_, i) => (Math.floor(((i + 1) * k) / 100) > Math.floor((i * k) / 100) ? 1 : 0));
  const stream = (rates: number[]): number[] => rates.flatMap((k) => block(k));

  it('fires once on a rise of the error rate, never on a fall, and re-arms after the rate is back', () => {
    const d = new WindowedProportionTest({ window: 150, reference: 500, threshold: 4 });
    const xs = stream([...Array<number>(10).fill(10), ...Array<number>(8).fill(25), ...Array<number>(6).fill(10), ...Array<number>(8).fill(25), ...Array<number>(6).fill(5)]);
    const hits = xs.flatMap((x, t) => (d.update(x).driftDetected ? [t] : []));
    expect(hits).toHaveLength(2);
    expect(hits[0]).toBeGreaterThanOrEqual(1000);
    expect(hits[0]).toBeLessThan(1200);
    expect(hits[1]).toBeGreaterThanOrEqual(2400);
    expect(hits[1]).toBeLessThan(2600);
    expect(() => new WindowedProportionTest({ window: 0 })).toThrow(/window/);
    expect(() => d.update(0.5)).toThrow(/0 or 1/);
  });
});
