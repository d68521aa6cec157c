import { ACTION_PRIORS, estimateFromCases, similarity, type PastCase } from '../../policies/case-based';
import { better, planRepair, tieReason, type PlanRequest } from '../../policies/engine';
import { historyBucket, indexQ, qState, qUpdate, rewardFor, type QEntry } from '../../policies/q-learning';
import { seededRng, seedFrom } from '../../common/rng';
import { demoPolicy, smallPolicy } from './fixtures';

const policy = demoPolicy();
const demo = policy.pipelines[0]!;

function request(patch: Partial<PlanRequest> = {}): PlanRequest {
  return {
    incidentId: 'incident/demo/enrich',
    pipeline: demo,
    engine: policy.global.engine,
    component: 'enrich',
    faultClass: 'oom',
    severity: 'medium',
    cases: [],
    qTable: [],
    recentRepairs: 0,
    mode: 'active',
    ...patch,
  };
}

function pastCase(action: PastCase['action'], verification: PastCase['verification'], patch: Partial<PastCase> = {}): PastCase {
  return { component: 'enrich', faultClass: 'oom', severity: 'medium', action, verification, ...patch };
}

describe('case-based estimates', () => {
  it('weighs fault class most, then component, layer and severity', () => {
    const sig = { component: 'enrich', faultClass: 'oom' as const, severity: 'medium' as const };
    expect(similarity(sig, sig)).toBeCloseTo(1);
    expect(similarity(sig, { ...sig, component: 'score' })).toBeCloseTo(0.8);
    expect(similarity(sig, { ...sig, faultClass: 'crash' })).toBeCloseTo(0.5); // same layer, component, severity
    expect(similarity(sig, { ...sig, faultClass: 'null-spike', component: 'x', severity: 'critical' })).toBeCloseTo(0.05); // only severity, two steps apart
  });

  it('uses the prior with no cases and Laplace/Beta smoothing with some', () => {
    const sig = { component: 'enrich', faultClass: 'oom' as const, severity: 'medium' as const };
    const none = estimateFromCases('microreboot', sig, []);
    expect(none.successRate).toBeCloseTo(ACTION_PRIORS.microreboot.success);
    expect(none.cases).toBe(0);
    // Prior 0.5 with strength 2 is Laplace: (s + 1) / (n + 2).
    const prior = { ...ACTION_PRIORS.microreboot, success: 0.5 };
    const cases = [pastCase('microreboot', 'pass'), pastCase('microreboot', 'pass'), pastCase('microreboot', 'fail')];
    expect(estimateFromCases('microreboot', sig, cases, prior).successRate).toBeCloseTo(3 / 5);
    // Observed costs and durations move E[C]; dissimilar cases are ignored.
    const costly = estimateFromCases('microreboot', sig, [pastCase('microreboot', 'pass', { cost: 0.9, durationMs: 120_000 })]);
    expect(costly.expectedCost).toBeCloseTo((0.1 + 0.9) / 2);
    expect(costly.meanDurationMs).toBe(120_000);
    const far = estimateFromCases('microreboot', sig, [pastCase('microreboot', 'fail', { faultClass: 'null-spike', component: 'x', severity: 'critical' })]);
    expect(far.cases).toBe(0);
  });
});

describe('planRepair', () => {
  it('puts a human last, not in competition: a cheap automated rung wins on its prior, a failing record hands over', () => {
    // distribution-shift: log-and-wait's prior success (0.2) is low, yet with no history it is tried first.
    const fresh = planRepair(request({ faultClass: 'distribution-shift' }));
    expect(fresh.action).toBe('log-and-wait');
    // Five similar cases where every automated repair failed: the human goes first.
    const failures = (['log-and-wait', 'retrain-validate-promote'] as const).flatMap((a) => Array.from({ length: 5 }, () => pastCase(a, 'fail', { faultClass: 'distribution-shift' })));
    const known = planRepair(request({ faultClass: 'distribution-shift', cases: failures }));
    expect(known.action).toBe('escalate');
    expect(known.reasons.join('; ')).toMatch(/succeeded with p=0\.\d+ < 0\.25 over 5 past case\(s\): escalate to a human/);
  });

  it('follows the ladder with no history: microreboot for oom, scale-out as the next rung, escalate last', () => {
    const plan = planRepair(request());
    expect(plan.action).toBe('microreboot');
    expect(plan.target).toBe('enrich');
    expect(plan.planId).toBe('incident/demo/enrich#1:microreboot');
    expect(plan.alternatives.map((a) => a.action)).toEqual(['scale-out', 'escalate']);
    expect(plan.candidates.map((c) => c.action)).toEqual(['microreboot', 'scale-out', 'escalate']);
    expect(plan.reasons[0]).toMatch(/microreboot minimises E\[C\] − λE\[R\]/);
  });

  it('learns from cases: a repair that keeps failing loses to one that works', () => {
    const cases = [
      ...Array.from({ length: 6 }, () => pastCase('microreboot', 'fail')),
      ...Array.from({ length: 6 }, () => pastCase('scale-out', 'pass')),
    ];
    const plan = planRepair(request({ cases }));
    expect(plan.action).toBe('scale-out');
    const micro = plan.candidates.find((c) => c.action === 'microreboot')!;
    expect(micro.successRate).toBeLessThan(0.2);
    expect(micro.cases).toBe(6);
  });

  it('drops candidates whose preconditions fail or that were already tried', () => {
    const plan = planRepair(request({ preconditions: { microreboot: { holds: false, reason: 'process supervisor unreachable' } } }));
    expect(plan.action).toBe('scale-out');
    expect(plan.reasons).toContain('microreboot excluded: precondition failed: process supervisor unreachable');
    const next = planRepair(request({ exclude: ['microreboot'], attempt: 2 }));
    expect(next.action).toBe('scale-out');
    expect(next.planId).toBe('incident/demo/enrich#2:scale-out');
    const none = planRepair(request({ exclude: ['microreboot', 'scale-out'] }));
    expect(none.action).toBe('escalate');
    expect(none.alternatives).toEqual([]);
  });

  it('enforces the SLO constraints SLO_lat ≤ ℓ and SLO_loss ≤ η', () => {
    const tight = smallPolicy({ slo: { latencyMs: 20_000, maxLoss: 0.01 } }).pipelines[0]!;
    const plan = planRepair(request({ pipeline: tight, faultClass: 'lag', component: 'a' }));
    // scale-out stalls 30 s > ℓ; load-shedding loses 5% > η: nothing automated is feasible.
    expect(plan.action).toBe('escalate');
    const excluded = plan.candidates.filter((c) => !c.feasible).map((c) => c.reasons.join());
    expect(excluded[0]).toMatch(/SLO_lat 30000ms > ℓ 20000ms/);
    expect(excluded[1]).toMatch(/SLO_loss 0.05 > η 0.01/);
    // Observed latency in cases overrides the prior.
    const fast = planRepair(request({ pipeline: tight, faultClass: 'lag', component: 'a', cases: Array.from({ length: 4 }, () => pastCase('scale-out', 'pass', { faultClass: 'lag', component: 'a', latencyMs: 5_000 })) }));
    expect(fast.action).toBe('scale-out');
  });

  it('breaks ties by lower risk, then ladder order', () => {
    // Two candidates with the same score: checkpoint-restore first on the ladder, microreboot less risky.
    const restore = { action: 'checkpoint-restore' as const, score: 0.25, rung: 0 };
    const reboot = { action: 'microreboot' as const, score: 0.25 + 1e-12, rung: 1 };
    expect([restore, reboot].sort(better).map((c) => c.action)).toEqual(['microreboot', 'checkpoint-restore']);
    // Same risk: the earlier rung wins.
    expect([{ ...reboot, rung: 3 }, { ...reboot, rung: 2 }].sort(better).map((c) => c.rung)).toEqual([2, 3]);
    // A real difference in score beats risk.
    expect([{ ...reboot, score: 0.3 }, restore].sort(better)[0]!.action).toBe('checkpoint-restore');
    expect(tieReason(reboot, restore)).toMatch(/tie with checkpoint-restore broken by lower risk/);
    expect(tieReason(reboot, { ...restore, score: 0.3 })).toBeUndefined();
  });

  it('blends the Q-table in: well-visited Q-values shift the choice', () => {
    const state = qState('oom', 'medium', 0);
    const qTable: QEntry[] = [
      { state, action: 'microreboot', value: -1, visits: 50 },
      { state, action: 'scale-out', value: 0.9, visits: 50 },
    ];
    const plan = planRepair(request({ qTable }));
    expect(plan.state).toBe('oom|medium|none');
    expect(plan.action).toBe('scale-out');
    const c = plan.candidates.find((x) => x.action === 'scale-out')!;
    expect(c.qWeight).toBeCloseTo((0.5 * 50) / 55);
    // A different history bucket is a different state: the table does not apply.
    expect(planRepair(request({ qTable, recentRepairs: 2 })).action).toBe('microreboot');
  });

  it('explores only in shadow mode or drills, deterministically with a seeded RNG', () => {
    const engine = { ...policy.global.engine, epsilon: 1 };
    const always = () => 0.99; // < ε=1 explores; picks the last automated candidate
    expect(planRepair(request({ engine, rng: always, mode: 'active' })).explored).toBe(false);
    const shadow = planRepair(request({ engine, rng: always, mode: 'shadow' }));
    expect(shadow.explored).toBe(true);
    expect(shadow.action).toBe('scale-out');
    expect(shadow.reasons[0]).toMatch(/exploring \(ε=1, shadow mode\)/);
    expect(planRepair(request({ engine, rng: always, drill: true })).explored).toBe(true);
    expect(planRepair(request({ engine, mode: 'shadow' })).explored).toBe(false);
    const runs = [1, 2].map(() => {
      const rng = seededRng(seedFrom('incident/demo/enrich#1'));
      return Array.from({ length: 20 }, () => planRepair(request({ rng, mode: 'shadow', engine: { ...engine, epsilon: 0.5 } })).action);
    });
    expect(runs[0]).toEqual(runs[1]);
    expect(new Set(runs[0])).toEqual(new Set(['microreboot', 'scale-out']));
  });

  it('is deterministic: the same inputs give the same plan', () => {
    const cases = [pastCase('microreboot', 'pass', { cost: 0.2 }), pastCase('scale-out', 'fail')];
    expect(planRepair(request({ cases }))).toEqual(planRepair(request({ cases })));
  });

  it('escalates for unknown faults', () => {
    const plan = planRepair(request({ faultClass: 'unknown' }));
    expect(plan.action).toBe('escalate');
    expect(plan.reasons[0]).toMatch(/no automated repair is feasible/);
  });
});

describe('Q-learning', () => {
  it('buckets recent history', () => {
    expect([0, 1, 2, 3, 4, 9].map(historyBucket)).toEqual(['none', 'once', 'few', 'few', 'many', 'many']);
  });

  it('applies Q ← Q + η(r + γ max Q′ − Q)', () => {
    const s = 'oom|medium|none';
    const s2 = 'oom|medium|once';
    const table = indexQ([
      { state: s, action: 'microreboot', value: 0.5, visits: 3 },
      { state: s2, action: 'scale-out', value: 0.8, visits: 1 },
      { state: s2, action: 'escalate', value: 0.1, visits: 1 },
    ]);
    const settings = { learningRate: 0.2, discount: 0.5 };
    // failed microreboot: r = 1·0 − 0.1 = −0.1; target = −0.1 + 0.5·0.8 = 0.3
    const r = rewardFor('fail', 0.1, 1);
    expect(r).toBeCloseTo(-0.1);
    const e = qUpdate(table, { state: s, action: 'microreboot', reward: r, nextState: s2, nextActions: ['scale-out', 'escalate'] }, settings);
    expect(e.value).toBeCloseTo(0.5 + 0.2 * (0.3 - 0.5));
    expect(e.visits).toBe(4);
    // terminal success from an unseen entry: 0 + 0.2·(0.9 − 0)
    const t = qUpdate(table, { state: s2, action: 'microreboot', reward: rewardFor('pass', 0.1, 1) }, settings);
    expect(t).toEqual({ state: s2, action: 'microreboot', value: expect.closeTo(0.18, 9), visits: 1 });
  });

  it('converges towards the reward under repeated updates', () => {
    let entries: QEntry[] = [];
    for (let i = 0; i < 200; i++) {
      entries = [qUpdate(indexQ(entries), { state: 's', action: 'microreboot', reward: 0.7 }, { learningRate: 0.2, discount: 0 })];
    }
    expect(entries[0]!.value).toBeCloseTo(0.7, 6);
  });
});
