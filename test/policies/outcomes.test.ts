import { ACTION_PRIORS, durationCost } from '../../policies/case-based';
import { CASES_NAMED, describeOutcomes, estimateOutcomes, MIN_DEGRADATION, recoveryOf, OUTCOME_PSEUDO_COUNT, shrink, type OutcomeSample } from '../../policies/outcomes';

const base: OutcomeSample = {
  id: 1, incidentId: 'i/1', pipeline: 'p', component: 'a', faultClass: 'lag', layer: 'infrastructure',
  action: 'scale-out', attempt: 1, verdict: 'pass', at: 0,
};
const prior = ACTION_PRIORS['scale-out']; // cost 0.3, success 0.75, recovery 0.8, latency 30 000 ms, loss 0

describe('learned estimates from outcome samples', () => {
  it('shrinks toward the prior with k pseudo-samples: (k·prior + Σx) / (k + n)', () => {
    expect(OUTCOME_PSEUDO_COUNT).toBe(2);
    expect(shrink(10, [])).toBe(10);
    expect(shrink(10, [40])).toBe(20);
    expect(shrink(10, [40, 70])).toBe(32.5);
    expect(shrink(0.5, [1, 1, 1, 1], 4)).toBe(0.75);
  });

  it('with no case every figure is the prior', () => {
    const e = estimateOutcomes('scale-out', { faultClass: 'lag', layer: 'infrastructure' }, [], prior);
    expect(e.cost).toEqual({ prior: 0.3, n: 0, value: 0.3 });
    expect(e.recovery).toEqual({ prior: 0.75 * 0.8, n: 0, value: 0.75 * 0.8 });
    expect(e.latencyMs).toEqual({ prior: 30_000, n: 0, value: 30_000 });
    expect(e.loss).toEqual({ prior: 0, n: 0, value: 0 });
    expect(describeOutcomes(e)).toBe('scale-out: prior only (no cases)');
  });

  it('each figure counts only the samples that measured it, of the same signature and action', () => {
    const samples: OutcomeSample[] = [
      { ...base, id: 1, durationMs: 120_000, healthBefore: 0.3, healthAfter: 0.9, latencyAddedMs: 90_000, lossAdded: 0.01 },
      { ...base, id: 2, incidentId: 'i/2', attempt: 2, verdict: 'fail', durationMs: 60_000, latencyAddedMs: 50_000 },
      { ...base, id: 3, faultClass: 'crash', durationMs: 1 }, // another fault class
      { ...base, id: 4, layer: 'data', durationMs: 1 }, // another layer
      { ...base, id: 5, action: 'microreboot', durationMs: 1 }, // another action
      { ...base, id: 6 }, // measured nothing but its verdict
    ];
    const e = estimateOutcomes('scale-out', { faultClass: 'lag', layer: 'infrastructure' }, samples, prior);
    expect(e.used.map((u) => u.id)).toEqual([1, 2, 6]);
    expect(e.cost.n).toBe(2);
    expect(e.cost.value).toBeCloseTo((2 * 0.3 + durationCost(120_000) + durationCost(60_000)) / 4, 12);
    // #1 won back 0.6 of the 0.7 it had lost; #2 failed and #6 passed where health showed nothing.
    expect(e.recovery.n).toBe(3);
    expect(e.recovery.value).toBeCloseTo((2 * 0.6 + 0.6 / 0.7 + 0 + 1) / 5, 12);
    expect(e.latencyMs).toEqual({ prior: 30_000, n: 2, value: (60_000 + 90_000 + 50_000) / 4 });
    expect(e.loss.n).toBe(1);
    expect(e.loss.value).toBeCloseTo(0.01 / 3, 12);
    const c = Math.round(e.cost.value * 1000) / 1000;
    expect(describeOutcomes(e)).toBe(
      `scale-out: C=${c} (n=2) R=${Math.round(e.recovery.value * 1000) / 1000} (n=3) lat=50000ms (n=2) loss=0.003 (n=1), learned from 3 case(s), k=2: ` +
        `#1 (i/1 attempt 1, pass: C=${Math.round(durationCost(120_000) * 1000) / 1000} R=0.857 lat=90000ms loss=0.01), ` +
        `#2 (i/2 attempt 2, fail: C=${Math.round(durationCost(60_000) * 1000) / 1000} R=0 lat=50000ms), #6 (i/1 attempt 1, pass: R=1)`,
    );
  });

  it('names the newest cases and counts the older ones, so an explanation stays short', () => {
    const many: OutcomeSample[] = Array.from({ length: CASES_NAMED + 2 }, (_, i) => ({ ...base, id: i + 1, incidentId: `i/${i + 1}`, durationMs: 1_000 }));
    const text = describeOutcomes(estimateOutcomes('scale-out', { faultClass: 'lag', layer: 'infrastructure' }, many, prior));
    expect(text).toContain(`learned from ${CASES_NAMED + 2} case(s)`);
    expect(text.match(/#\d+ \(/g)).toHaveLength(CASES_NAMED);
    expect(text).toMatch(/#5 \(i\/5 attempt 1, pass: C=[\d.]+ R=1\) and 2 older$/);
  });

  it('where health did not show the fault (a crash, a schema change), recovery comes from the verdict', () => {
    const pass = { ...base, healthBefore: 1, healthAfter: 1 };
    expect(recoveryOf(pass)).toBe(1);
    expect(recoveryOf({ ...pass, verdict: 'inconclusive' })).toBe(0.5);
    expect(recoveryOf({ ...pass, healthBefore: 1 - MIN_DEGRADATION / 2, verdict: 'fail' })).toBe(0);
    expect(recoveryOf({ ...base, healthBefore: 0.5, healthAfter: 0.75 })).toBeCloseTo(0.5, 12);
    // A schema rollback that worked keeps its expected recovery instead of sinking to 0.
    const e = estimateOutcomes('scale-out', { faultClass: 'lag', layer: 'infrastructure' }, [{ ...pass, id: 1 }, { ...pass, id: 2 }], prior);
    expect(e.recovery.value).toBeCloseTo((2 * 0.6 + 2) / 4, 12);
  });

  it('a repair that made health worse recovered nothing (recovery is not negative)', () => {
    const e = estimateOutcomes('scale-out', { faultClass: 'lag', layer: 'infrastructure' }, [{ ...base, healthBefore: 0.6, healthAfter: 0.4 }], prior);
    expect(e.used[0]!.figures.recovery).toBe(0);
    expect(e.recovery.value).toBeCloseTo((2 * 0.6) / 3, 12);
  });
});
