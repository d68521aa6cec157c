import { diffSchemas, freshnessCheck, nullRateCheck, rangeCheck, schemaFingerprint, schemaOf, volumeCheck } from '../../detection/quality';

describe('schema fingerprint and diff', () => {
  it('fingerprint is stable across field order and changes with names or types', () => {
    const a = schemaOf({ id: 1, name: 'x', price: 2.5, tags: [], meta: {}, ok: true, gone: null });
    expect(a).toEqual({ id: 'integer', name: 'string', price: 'number', tags: 'array', meta: 'object', ok: 'boolean', gone: 'null' });
    const b = schemaOf({ gone: null, ok: false, meta: { k: 1 }, tags: [1], price: 3.5, name: 'y', id: 7 });
    expect(schemaFingerprint(a)).toBe(schemaFingerprint(b));
    expect(schemaFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(schemaFingerprint({ ...a, id: 'string' })).not.toBe(schemaFingerprint(a));
  });

  it('diff lists added, removed and type-changed fields; breaking changes score 1', () => {
    const d = diffSchemas({ id: 'integer', name: 'string', price: 'number' }, { id: 'string', price: 'number', email: 'string' });
    expect(d.added).toEqual(['email']);
    expect(d.removed).toEqual(['name']);
    expect(d.typeChanged).toEqual([{ field: 'id', from: 'integer', to: 'string' }]);
    expect(d.score).toBe(1);
    expect(d.violated).toBe(true);
    expect(d.reason).toMatch(/removed name; type changed id integer→string; added email/);
    const additive = diffSchemas({ id: 'integer' }, { id: 'integer', extra: 'string' });
    expect([additive.score, additive.violated]).toEqual([0.25, false]);
    expect(diffSchemas({ id: 'integer' }, { id: 'integer' }).score).toBe(0);
    expect(() => schemaFingerprint({ id: 'uuid' as 'string' })).toThrow(/valid: string, integer/);
  });
});

describe('null rate, range, freshness, volume', () => {
  it('null rate scores 0.5 exactly at the limit and uses the baseline z-test', () => {
    const batch = [...Array<number | null>(95).fill(1), ...Array<null>(5).fill(null)];
    const r = nullRateCheck(batch, { maxRate: 0.05, field: 'email' });
    expect(r.value).toBe(0.05);
    expect(r.score).toBeCloseTo(0.5, 12);
    expect(r.violated).toBe(true);
    expect(r.reason).toBe('email: null rate 5.0% of 100 values (limit 5.0%)');
    const base = nullRateCheck({ nulls: 20, total: 1000 }, { baselineRate: 0.001 });
    expect(base.violated).toBe(true);
    expect(base.reason).toMatch(/vs baseline 0.10%/);
    expect(nullRateCheck([1, 2, Number.NaN, undefined], { maxRate: 0.9 }).value).toBe(0.5);
    expect(() => nullRateCheck({ nulls: 5, total: 2 })).toThrow(/0 ≤ nulls ≤ total/);
  });

  it('range counts values outside [min, max] and non-finite values', () => {
    const r = rangeCheck([1, 2, 3, 150, Number.NaN], { min: 0, max: 100, field: 'age' });
    expect(r.value).toBeCloseTo(0.4, 12);
    expect(r.violated).toBe(true);
    expect(r.reason).toMatch(/^age: 2 of 5 values \(40.0%\) outside \[0, 100\]/);
    expect(rangeCheck([1, 2, 3], { min: 0, max: 100 })).toMatchObject({ score: 0, violated: false });
  });

  it('freshness: 0.5 at maxAge, future timestamps are fresh', () => {
    expect(freshnessCheck({ lastEventTime: 0, now: 60_000, maxAgeMs: 60_000 })).toMatchObject({ score: 0.5, violated: true });
    expect(freshnessCheck({ lastEventTime: 10, now: 0, maxAgeMs: 1 })).toMatchObject({ value: 0, score: 0, violated: false });
    expect(freshnessCheck({ lastEventTime: 0, now: 10_000, maxAgeMs: 60_000, source: 'orders' }).reason).toBe('orders: newest data is 10.0 s old (limit 60.0 s)');
  });

  it('volume: robust z against history in both directions, or relative to an expected count', () => {
    const history = [100, 104, 98, 101, 99, 97, 103, 500];
    expect(volumeCheck(101, { history }).violated).toBe(false);
    expect(volumeCheck(20, { history }).violated).toBe(true);
    expect(volumeCheck(300, { history }).violated).toBe(true);
    const rel = volumeCheck(40, { expected: 100, tolerance: 0.5 });
    expect(rel.score).toBeCloseTo(0.6 / 1.1, 12);
    expect(rel.reason).toBe('40 records vs 100 expected (−60%, tolerance ±50%)');
    expect(() => volumeCheck(1, {})).toThrow(/give either history or expected/);
  });
});
