import { evaluatePromotion, shadowPrecision, type ShadowRecord } from '../../policies/promotion';
import { smallPolicy } from './fixtures';

const pipeline = smallPolicy({ promotion: { precisionBar: 0.9, minCases: 10, window: 20 } }).pipelines[0]!;

function records(matches: number, misses: number, start = 0): ShadowRecord[] {
  return Array.from({ length: matches + misses }, (_, i) => ({
    incidentId: `i${start + i}`,
    pipeline: 'p',
    faultClass: 'crash' as const,
    wouldDo: 'microreboot' as const,
    finalAction: i < matches ? ('microreboot' as const) : ('checkpoint-restore' as const),
    at: start + i,
  }));
}

describe('shadow precision and promotion', () => {
  it('counts matches among decided records only, newest first within the window', () => {
    const open: ShadowRecord = { incidentId: 'x', pipeline: 'p', faultClass: 'crash', wouldDo: 'microreboot', at: 99 };
    expect(shadowPrecision([...records(3, 1), open])).toEqual({ precision: 0.75, cases: 4, matched: 3 });
    // A human who handled it with no automated action agrees with "escalate".
    expect(shadowPrecision([{ ...open, wouldDo: 'escalate', finalAction: null }]).precision).toBe(1);
    // Window: only the 2 newest (two misses at the end) count.
    expect(shadowPrecision(records(3, 2), 2)).toEqual({ precision: 0, cases: 2, matched: 0 });
  });

  it('does not move before min cases', () => {
    const d = evaluatePromotion({ pipeline, faultClass: 'crash', current: 'shadow', records: records(9, 0), now: 1 });
    expect(d.mode).toBe('shadow');
    expect(d.event).toBeUndefined();
  });

  it('promotes at the precision bar over min cases, with an audit event', () => {
    const d = evaluatePromotion({ pipeline, faultClass: 'crash', current: 'shadow', records: records(9, 1), now: 5 });
    expect(d.mode).toBe('active');
    expect(d.event).toMatchObject({ kind: 'promote', pipeline: 'p', faultClass: 'crash', from: 'shadow', to: 'active', precision: 0.9, cases: 10, at: 5 });
    expect(d.event!.reason).toBe('shadow precision 90.0% over 10 cases ≥ 90.0%');
    expect(evaluatePromotion({ pipeline, faultClass: 'crash', current: 'shadow', records: records(8, 2), now: 5 }).mode).toBe('shadow');
  });

  it('demotes when precision falls, honouring a separate demotion bar', () => {
    const d = evaluatePromotion({ pipeline, faultClass: 'crash', current: 'active', records: records(8, 2), now: 7 });
    expect(d.mode).toBe('shadow');
    expect(d.event).toMatchObject({ kind: 'demote', from: 'active', to: 'shadow', bar: 0.9 });
    const lenient = { ...pipeline, promotion: { ...pipeline.promotion, demotionBar: 0.7 } };
    expect(evaluatePromotion({ pipeline: lenient, faultClass: 'crash', current: 'active', records: records(8, 2), now: 7 }).mode).toBe('active');
  });

  it('never moves a pinned fault class, a disabled pipeline, or on other pipelines\' records', () => {
    const pinned = { ...pipeline, modeOverrides: { crash: 'shadow' as const } };
    expect(evaluatePromotion({ pipeline: pinned, faultClass: 'crash', current: 'shadow', records: records(20, 0), now: 1 }).event).toBeUndefined();
    const off = { ...pipeline, promotion: { ...pipeline.promotion, enabled: false } };
    expect(evaluatePromotion({ pipeline: off, faultClass: 'crash', current: 'shadow', records: records(20, 0), now: 1 }).mode).toBe('shadow');
    const elsewhere = records(20, 0).map((r) => ({ ...r, pipeline: 'q' }));
    expect(evaluatePromotion({ pipeline, faultClass: 'crash', current: 'shadow', records: elsewhere, now: 1 }).report.cases).toBe(0);
  });
});
