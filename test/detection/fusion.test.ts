import { ComponentHealth, type FusableDetector } from '../../detection/fusion';
import { HomeostatError } from '../../common/errors';
import { RandomState } from '../../detection/random';
import { createDetector } from '../../detection/registry';

/** A tiny deterministic detector: score = min(1, |x − 10| / 10); enough to exercise fusion. */
class Distance implements FusableDetector {
  score = 0;
  n = 0;
  update(x: number): void {
    this.n++;
    this.score = Math.min(1, Math.abs(x - 10) / 10);
  }
  snapshot(): { type: string; version: number; n: number; score: number } {
    return { type: 'test.distance', version: 1, n: this.n, score: this.score };
  }
  static restore(s: unknown): Distance {
    const d = new Distance();
    const v = s as { n: number; score: number };
    d.n = v.n;
    d.score = v.score;
    return d;
  }
}

function component(): ComponentHealth {
  return new ComponentHealth({
    alpha: 0.5,
    open: 0.6,
    close: 0.3,
    detectors: [
      { name: 'lat', signal: 'latency', layer: 'infrastructure', weight: 3, detector: new Distance() },
      { name: 'lat2', signal: 'latency', layer: 'infrastructure', weight: 1, detector: new Distance() },
      { name: 'nulls', signal: 'null-rate', layer: 'data', weight: 2 },
      { name: 'err', signal: 'errors', layer: 'model', weight: 2, detector: new Distance() },
    ],
  });
}

describe('ComponentHealth', () => {
  it('normalises weights and computes s_t and the EWMA exactly', () => {
    const h = component();
    expect(Object.values(h.weightsByName()).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const r = h.observe('latency', 20); // both latency detectors at 1 → s = 4/8
    expect(r.instant).toBeCloseTo(0.5, 12);
    expect(r.health).toBeCloseTo(0.25, 12);
    expect(r.healthIndex).toBeCloseTo(0.75, 12);
    expect(r.vector.infrastructure).toBeCloseTo(0.5, 12);
    expect(r.vector.data).toBe(0);
    const r2 = h.observeScore('nulls', 1); // s = 6/8, H = 0.5·0.75 + 0.5·0.25
    expect(r2.instant).toBeCloseTo(0.75, 12);
    expect(r2.health).toBeCloseTo(0.5, 12);
    expect(r2.vector.data).toBeCloseTo(0.5, 12);
  });

  it('opens when H crosses open and closes only below close (hysteresis)', () => {
    const h = new ComponentHealth({ alpha: 0.5, open: 0.6, close: 0.3, detectors: [{ name: 'a', signal: 's', layer: 'data' }] });
    const seq = [1, 1, 0, 0, 1, 1].map((a) => {
      const r = h.observeScore('a', a);
      return [r.health, r.opened, r.closed, r.isOpen] as const;
    });
    expect(seq).toEqual([
      [0.5, false, false, false],
      [0.75, true, false, true],
      [0.375, false, false, true],
      [0.1875, false, true, false],
      [0.59375, false, false, false],
      [0.796875, true, false, true],
    ]);
  });

  it('reuses one result object (no allocation on the fast path)', () => {
    const h = component();
    const handle = h.signalHandle('latency');
    const a = h.observeHandle(handle, 12);
    const b = h.observe('latency', 13);
    expect(a).toBe(b);
  });

  it('multiplicative weights reward detectors that fired for true incidents and punish false alarms', () => {
    const h = component();
    const before = h.weightsByName();
    const after = h.updateWeights({ truePositive: true, fired: ['err'] });
    expect(after.err / after.lat).toBeCloseTo((before.err * 1.2) / before.lat, 12);
    const after2 = h.updateWeights({ truePositive: false, fired: ['lat'] });
    expect(after2.lat / after2.err).toBeCloseTo((after.lat * 0.8) / after.err, 12);
    expect(Object.values(after2).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });

  it('by default credits the detectors whose peak since the incident opened reached fireLevel', () => {
    const h = component();
    for (let i = 0; i < 10 && !h.isOpen; i++) {
      h.observe('latency', 25);
      h.observeScore('nulls', 1);
    }
    expect(h.isOpen).toBe(true);
    expect(h.firedSinceOpen().sort()).toEqual(['lat', 'lat2', 'nulls']);
    const before = h.weightsByName();
    const w = h.updateWeights({ truePositive: false });
    expect(w.err).toBeGreaterThan(before.err);
    expect(w.lat).toBeLessThan(before.lat);
  });

  it('floors weights at minWeight so no detector is silenced forever', () => {
    const h = component();
    for (let i = 0; i < 100; i++) h.updateWeights({ truePositive: false, fired: ['lat2'] });
    expect(h.weightsByName().lat2).toBeCloseTo(0.01, 12);
    expect(Object.values(h.weightsByName()).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });

  it('snapshot/restore round-trips through JSON and continues identically', () => {
    const a = component();
    const xs = [10, 11, 30, 25, 9, 10, 40, 41, 42, 10, 10, 10];
    for (let i = 0; i < 6; i++) {
      a.observe(i % 2 ? 'latency' : 'errors', xs[i]);
    }
    a.updateWeights({ truePositive: true, fired: ['lat'] });
    const snap = JSON.parse(JSON.stringify(a.snapshot())) as unknown;
    const b = ComponentHealth.restore(snap, Distance.restore);
    for (let i = 6; i < xs.length; i++) {
      const ra = { ...a.observe('latency', xs[i]) };
      const rb = { ...b.observe('latency', xs[i]) };
      expect(rb.health).toBe(ra.health);
      expect(rb.isOpen).toBe(ra.isOpen);
      expect(rb.vector).toEqual(ra.vector);
    }
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('rejects bad settings, unknown signals, non-finite values and foreign snapshots with typed errors', () => {
    expect(() => new ComponentHealth({ open: 0.3, close: 0.5, detectors: [{ name: 'a', signal: 's', layer: 'data' }] })).toThrow(/close must be in/);
    expect(() => new ComponentHealth({ detectors: [{ name: 'a', signal: 's', layer: 'bogus' as 'data' }] })).toThrow(/valid: infrastructure, data, model/);
    const h = component();
    expect(() => h.observe('nope', 1)).toThrow(/no detector listens to signal "nope"/);
    expect(() => h.observe('latency', Number.NaN)).toThrow(HomeostatError);
    expect(() => ComponentHealth.restore({ type: 'other', version: 1 }, Distance.restore)).toThrow(
      expect.objectContaining({ code: 'HS_SNAPSHOT_MISMATCH' }) as Error,
    );
  });
});

describe('ComponentHealth with the streaming detectors of the registry', () => {
  function build(): ComponentHealth {
    return new ComponentHealth({
      alpha: 0.5,
      open: 0.3,
      close: 0.05,
      detectors: [
        { name: 'ph', signal: 'latency', layer: 'infrastructure', detector: createDetector('page-hinkley') },
        { name: 'cusum-vote', signal: 'latency', layer: 'infrastructure', detector: createDetector('cusum', { minInstances: 200, threshold: 8 }), input: 'drift' },
        { name: 'adwin', signal: 'errors', layer: 'model', detector: createDetector('adwin') },
        { name: 'psi', signal: 'batch-psi', layer: 'data' },
      ],
    });
  }

  it('rises on a latency shift, and a snapshot restored by the registry continues bit-exactly', () => {
    const rng = new RandomState(42);
    const xs = Array.from({ length: 3000 }, (_, i) => rng.normal(i < 1500 ? 10 : 14, 1));
    const errs = Array.from({ length: 3000 }, () => (rng.randomDouble() < 0.1 ? 1 : 0));
    const a = build();
    let before = 0;
    let after = 0;
    for (let i = 0; i < 1000; i++) {
      a.observe('latency', xs[i], i);
      a.observe('errors', errs[i], i);
    }
    a.observeScore('psi', 0.2, 1000);
    const b = ComponentHealth.restore(JSON.parse(JSON.stringify(a.snapshot())) as unknown);
    for (let i = 1000; i < 3000; i++) {
      const ra = { ...a.observe('latency', xs[i], i) };
      const rb = { ...b.observe('latency', xs[i], i) };
      expect(rb.health).toBe(ra.health);
      expect(rb.isOpen).toBe(ra.isOpen);
      if (i < 1500) before = Math.max(before, ra.health);
      else after = Math.max(after, ra.health);
      a.observe('errors', errs[i], i);
      b.observe('errors', errs[i], i);
    }
    expect(after).toBeGreaterThan(before);
    expect(b.snapshot()).toEqual(a.snapshot());
    expect(a.contributions().map((c) => c.name)).toContain('psi');
  });
});
