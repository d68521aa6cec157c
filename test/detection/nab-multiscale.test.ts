/**
 * The multi-scale NAB configuration and its parts: the emission gate, the raw surprises of the
 * fused stream, and the multi-scale stream itself (deterministic, online, robust to bad rows, and
 * able to see a sustained shift that single rows hide).
 */
import { HomeostatError } from '../../common/errors';
import { DEFAULT_NAB_PARAMS, HomeostatNabStream, NAB_SIGNALS } from '../../detection/nab/detector';
import { EmissionGate } from '../../detection/nab/emission';
import { DEFAULT_MULTISCALE_PARAMS, type MultiScaleNabParams, MultiScaleNabStream, PEAK_GATE_MULTISCALE_PARAMS, multiScaleNabDetector } from '../../detection/nab/multiscale';

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

  it('with realertMargin, a re-alert within the span must beat the last emission by that fraction', () => {
    const g = new EmissionGate({ warmup: 0, suppressRows: 5, emitMemory: 0, emitDiscount: 0, realertMargin: 0.1 });
    expect(g.emit(0, 0.5)).toBe(0.5);
    // 0.54 is higher but not by 10 %: suppressed; 0.56 clears 0.55.
    expect(g.emit(1, 0.54)).toBe(0);
    expect(g.emit(2, 0.56)).toBe(0.56);
    // Outside the span anything is emitted again.
    expect(g.emit(8, 0.2)).toBe(0.2);
    const plain = new EmissionGate({ warmup: 0, suppressRows: 5, emitMemory: 0, emitDiscount: 0 });
    expect([0.5, 0.54].map((s, r) => plain.emit(r, s))).toEqual([0.5, 0.54]);
  });

  it('with peakRows, an emission that does not top the scores of the previous peakRows rows is discounted', () => {
    const g = new EmissionGate({ warmup: 2, suppressRows: 1, emitMemory: 0, emitDiscount: 0, peakRows: 4, peakDiscount: 0.5 });
    // Rows 0–1 are warm-up but still count as history: row 2 (0.6) does not top row 0 (0.8).
    const out = [0.8, 0.1, 0.6, 0.1, 0.1, 0.7, 0.1, 0.1, 0.1, 0.1, 0.65].map((s, r) => g.emit(r, s));
    expect(out[0]).toBe(0);
    expect(out[2]).toBeCloseTo(0.3);
    // Row 5: 0.7 tops rows 1–4 (0.8 at row 0 has left the 4-row window): not discounted.
    expect(out[5]).toBeCloseTo(0.7);
    // Row 10: rows 6–9 are all 0.1, so 0.65 is a new peak even though row 5 was higher.
    expect(out[10]).toBeCloseTo(0.65);
    // An equal score is no new peak.
    const h = new EmissionGate({ warmup: 0, suppressRows: 0, emitMemory: 0, emitDiscount: 0, peakRows: 10, peakDiscount: 0.3 });
    expect(h.emit(0, 0.5)).toBeCloseTo(0.5);
    expect(h.emit(1, 0.5)).toBeCloseTo(0.35);
    expect(h.emit(2, 0.51)).toBeCloseTo(0.51);
  });

  it('the peak window stays exact over long streams (no drift from compacting the queue)', () => {
    const k = 7;
    const g = new EmissionGate({ warmup: 0, suppressRows: 0, emitMemory: 0, emitDiscount: 0, peakRows: k, peakDiscount: 0.5 });
    let seed = 99;
    const xs: number[] = [];
    for (let r = 0; r < 5000; r++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const s = seed / 2147483648;
      xs.push(s);
      const prevMax = Math.max(Number.NEGATIVE_INFINITY, ...xs.slice(Math.max(0, r - k), r));
      expect(g.emit(r, s)).toBeCloseTo(prevMax >= s ? s * 0.5 : s, 12);
    }
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

  it('the peak gate only removes or lowers emissions of the round-2 gate on a repeated burst, and stays online', () => {
    // Two identical level bursts 200 rows apart: the second is a level the stream reached recently.
    const { x, t } = series(1600);
    for (const start of [1000, 1200]) for (let i = start; i < start + 30; i++) x[i] += 25;
    const old = scores(new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, probation), x, t);
    const peak = scores(new MultiScaleNabStream(PEAK_GATE_MULTISCALE_PARAMS, probation), x, t);
    expect(peak).not.toEqual(old);
    for (let i = 0; i < x.length; i++) expect(peak[i]).toBeLessThanOrEqual(old[i] + 1e-12);
    for (const k of [250, 1001, 1210]) {
      expect(scores(new MultiScaleNabStream(PEAK_GATE_MULTISCALE_PARAMS, probation), x.slice(0, k), t.slice(0, k))).toEqual(peak.slice(0, k));
    }
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
      withGate({ realertMargin: -0.1 }),
      withGate({ peakProbation: Number.POSITIVE_INFINITY }),
      withGate({ peakRows: -1 }),
      withGate({ peakDiscount: 1.5 }),
    ];
    for (const p of bad) {
      expect(() => multiScaleNabDetector(p)).toThrow(HomeostatError);
    }
    expect(() => new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, -1)).toThrow(/probation/);
    expect(() => new MultiScaleNabStream(DEFAULT_MULTISCALE_PARAMS, 2.5)).toThrow(/probation/);
  });
});
