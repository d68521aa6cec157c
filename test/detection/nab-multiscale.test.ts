/**
 * The multi-scale NAB configuration and its parts: the emission gate, the raw surprises of the
 * fused stream, and the multi-scale stream itself (deterministic, online, robust to bad rows, and
 * able to see a sustained shift that single rows hide).
 */
import { HomeostatError } from '../../common/errors';
import { DEFAULT_NAB_PARAMS, HomeostatNabStream, NAB_SIGNALS } from '../../detection/nab/detector';
import { EmissionGate } from '../../detection/nab/emission';
import { DEFAULT_MULTISCALE_PARAMS, type MultiScaleNabParams, MultiScaleNabStream, multiScaleNabDetector } from '../../detection/nab/multiscale';

const T0 = Date.UTC(2020, 0, 1);
const STEP = 5 * 60_000;

/**
 * A noisy daily pattern (288 rows a day: a plateau from 08:00 to 18:00) from a fixed-seed
 * generator, optionally shifted from row `shiftAt` and with the plateau missing on day `flatDay`.
 */
function series(n: number, shiftAt = Infinity, shift = 0, flatDay = -1): { x: number[]; t: number[] } {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const x: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const tod = i % 288;
    const plateau = tod >= 96 && tod < 216 && Math.floor(i / 288) !== flatDay ? 60 : 0;
    x.push(20 + plateau + 4 * (rand() - 0.5) + (i >= shiftAt ? shift : 0));
    t.push(T0 + i * STEP);
  }
  return { x, t };
}

function scores(stream: { next(x: number, t: number): number }, x: number[], t: number[]): number[] {
  return x.map((v, i) => stream.next(v, t[i]));
}

describe('EmissionGate', () => {
  const gate = () => new EmissionGate({ warmup: 2, suppressRows: 3, emitMemory: 0, emitDiscount: 0 });

  it('emits nothing during warm-up, then one score per new high within the suppression span', () => {
    const g = gate();
    const out = [0.9, 0.9, 0.5, 0.4, 0.6, 0.6, 0.1, 0.2].map((s, r) => g.emit(r, s));
    // rows 0–1 warm-up; row 2 emits; 3 is lower (suppressed); 4 is higher; 5 equal (suppressed);
    // 6 is still within 3 rows of row 4 and lower; 7 is 3 rows after row 4 and lower: suppressed.
    expect(out).toEqual([0, 0, 0.5, 0, 0.6, 0, 0, 0]);
    expect(g.emit(8, 0.1)).toBe(0.1);
  });

  it('discounts an emission that recent emissions beat', () => {
    const g = new EmissionGate({ warmup: 0, suppressRows: 0, emitMemory: 4, emitDiscount: 0.5 });
    expect(g.emit(0, 0.8)).toBeCloseTo(0.8);
    // The only remembered emission (0.8) beats 0.4: discounted by the full 0.5.
    expect(g.emit(1, 0.4)).toBeCloseTo(0.2);
    // 0.9 beats both: no discount.
    expect(g.emit(2, 0.9)).toBeCloseTo(0.9);
  });
});

describe('HomeostatNabStream.surprises', () => {
  it('fuse is the weighted mean of the capped surprises, and both learn the same history', () => {
    const { x, t } = series(600);
    const a = new HomeostatNabStream(DEFAULT_NAB_PARAMS);
    const b = new HomeostatNabStream(DEFAULT_NAB_PARAMS);
    const w = NAB_SIGNALS.map((s) => DEFAULT_NAB_PARAMS.weights[s]);
    const wSum = w.reduce((p, q) => p + q, 0);
    let nonZero = 0;
    for (let i = 0; i < x.length; i++) {
      const u = a.surprises(x[i], t[i]);
      const manual = u.reduce((acc, v, k) => acc + w[k] * Math.min(1, v / DEFAULT_NAB_PARAMS.maxSurprise), 0) / wSum;
      const fused = b.fuse(x[i], t[i]);
      expect(fused).toBeCloseTo(manual, 12);
      if (fused > 0) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(500);
  });
});

describe('MultiScaleNabStream', () => {
  const probation = 300;

  it('is deterministic and online: the scores of rows 0..k do not change when later rows are appended', () => {
    const { x, t } = series(1500, 1000, 15);
    const full = scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, probation), x, t);
    const again = scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, probation), x, t);
    expect(again).toEqual(full);
    for (const k of [1, 137, 999, 1001, 1400]) {
      const part = scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, probation), x.slice(0, k), t.slice(0, k));
      expect(part).toEqual(full.slice(0, k));
    }
    for (const s of full) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('a sustained shift scores above everything before it', () => {
    const { x, t } = series(2000, 1500, 12);
    const out = scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, probation), x, t);
    const before = Math.max(...out.slice(probation, 1500));
    const after = Math.max(...out.slice(1500, 1560));
    expect(after).toBeGreaterThan(before);
  });

  it('a day whose daily pattern is missing scores above everything before it, thanks to the beyond-range term', () => {
    const { x, t } = series(288 * 10, Infinity, 0, 8);
    const out = scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, 600), x, t);
    const before = Math.max(...out.slice(600, 288 * 8 + 96));
    const during = Math.max(...out.slice(288 * 8 + 96, 288 * 8 + 216));
    expect(during).toBeGreaterThan(before);
    // Without the beyond-range term the weighted sum alone does not lift that day as high.
    const plain: MultiScaleNabParams = { ...DEFAULT_MULTISCALE_PARAMS, scales: DEFAULT_MULTISCALE_PARAMS.scales.filter((sc) => !sc.beyond) };
    const out2 = scores(new MultiScaleNabStream(plain, 600), x, t);
    expect(during).toBeGreaterThan(Math.max(...out2.slice(288 * 8 + 96, 288 * 8 + 216)));
  });

  it('a row that is not a finite number scores 0 and is not learnt', () => {
    const { x, t } = series(900);
    const clean = scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, probation), x, t);
    const xs = [...x.slice(0, 500), Number.NaN, Number.POSITIVE_INFINITY, ...x.slice(500)];
    const ts = [...t.slice(0, 500), t[499], t[499], ...t.slice(500)];
    const dirty = scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, probation), xs, ts);
    expect(dirty.slice(500, 502)).toEqual([0, 0]);
    expect([...dirty.slice(0, 500), ...dirty.slice(502)]).toEqual(clean);
  });

  it('with sizingRows the scores no longer depend on the probation length; without it they do', () => {
    const { x, t } = series(1200, 800, 15);
    const fixed: MultiScaleNabParams = { ...DEFAULT_MULTISCALE_PARAMS, sizingRows: 604 };
    expect(scores(new MultiScaleNabStream(fixed, 180), x, t)).toEqual(scores(new MultiScaleNabStream(fixed, 750), x, t));
    expect(scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, 180), x, t)).not.toEqual(scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, 750), x, t));
  });

  it('rejects settings and probation lengths it cannot run with', () => {
    const withGate = (g: Partial<MultiScaleNabParams['gate']>): MultiScaleNabParams => ({ ...DEFAULT_MULTISCALE_PARAMS, gate: { ...DEFAULT_MULTISCALE_PARAMS.gate, ...g } });
    const bad: MultiScaleNabParams[] = [
      { ...DEFAULT_MULTISCALE_PARAMS, scales: [] },
      { ...DEFAULT_MULTISCALE_PARAMS, defaultCap: 0 },
      { ...DEFAULT_MULTISCALE_PARAMS, scales: [{ probationDiv: -1, weights: { value: 1 } }] },
      { ...DEFAULT_MULTISCALE_PARAMS, scales: [{ probationDiv: 0, weights: { value: -1 } }] },
      { ...DEFAULT_MULTISCALE_PARAMS, scales: [{ probationDiv: 0, weights: { value: 0 } }] },
      { ...DEFAULT_MULTISCALE_PARAMS, scales: [{ probationDiv: 0, weights: { value: 1 }, caps: { value: 0 } }] },
      { ...DEFAULT_MULTISCALE_PARAMS, scales: [{ probationDiv: 0, weights: {}, beyond: { signal: 'seasonal', weight: 1, span: 0 } }] },
      { ...DEFAULT_MULTISCALE_PARAMS, scales: [{ probationDiv: 0, weights: { value: 1 }, beyond: { signal: 'seasonal', weight: -1, span: 1 } }] },
      { ...DEFAULT_MULTISCALE_PARAMS, sizingRows: 0 },
      withGate({ emitDiscount: 2 }),
      withGate({ suppressRows: 1.5 }),
      withGate({ suppressProbation: Number.NaN }),
    ];
    for (const p of bad) {
      expect(() => multiScaleNabDetector(p)).toThrow(HomeostatError);
    }
    expect(() => new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, -1)).toThrow(/probation/);
    expect(() => new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, 2.5)).toThrow(/probation/);
  });
});
