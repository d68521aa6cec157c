/**
 * Outcomes feed the estimates, over a real knowledge base of each backend: learn stores one
 * outcome sample per attempt with the case, the planner's E[C], E[R], SLO_lat and SLO_loss shrink
 * from the prior toward them, and enough bad measurements move the choice.
 */
import { decide, type DecisionInput } from '../../../knowledge/decide';
import { learnFromIncident, type LearnArgs } from '../../../knowledge/learn';
import { durationCost } from '../../../policies/case-based';
import type { OutcomeSampleInput } from '../../../policies/outcomes';
import { demoPolicy } from '../../policies/fixtures';
import { enrichOomDecision, useHarness, type KbFactory } from './harness';

const policy = demoPolicy(); // demo: ℓ = 60 000 ms, η = 0.05; oom ladder microreboot → scale-out → escalate
const EXPLANATION = { trigger: 't', evidence: 'e', cause: 'c', action: 'a', impact: 'i', verification: 'v' };

export function outcomesContract(backend: string, factory: KbFactory): void {
  describe(`${backend}: outcome samples feed the planner's estimates`, () => {
    const h = useHarness(factory);

    const input = (patch: Partial<DecisionInput> = {}): DecisionInput => enrichOomDecision(h.t, patch);

    const sample = (i: number, patch: Partial<OutcomeSampleInput> = {}): OutcomeSampleInput => ({
      incidentId: `incident/demo/enrich/${i}`,
      runId: `run-${i}`,
      pipeline: 'demo',
      component: 'enrich',
      faultClass: 'oom',
      layer: 'infrastructure',
      action: 'microreboot',
      attempt: 1,
      durationMs: 60_000,
      healthBefore: 0.2,
      healthDuring: 0.1,
      healthAfter: 0.9,
      sloLatencyMs: 40_000,
      latencyAddedMs: 150_000,
      lossAdded: 0,
      verdict: 'pass',
      at: h.t.clock.now,
      ...patch,
    });

    const closed = (i: number, outcomes: OutcomeSampleInput[]): LearnArgs => ({
      incidentId: `incident/demo/enrich/${i}`,
      runKey: `incident/demo/enrich/${i}@run-${i}`,
      signature: { pipeline: 'demo', component: 'enrich', faultClass: 'oom', severity: 'medium', layer: 'infrastructure' },
      mode: 'active',
      wouldDo: null,
      attempts: [{ action: 'microreboot', verification: 'pass', durationMs: 60_000, recovery: 0.7 }],
      outcome: 'healed',
      evidence: [],
      explanation: EXPLANATION,
      recentRepairs: 0,
      outcomes,
      now: h.t.clock.now,
    });

    it('stores every figure of a sample and reads it back, absent figures absent, newest first', async () => {
      const full = sample(1, { sloQualityMs: 5_000, sloLossMs: 0 });
      const [a] = await h.t.kb.recordOutcomes([full]);
      h.t.clock.now += 1_000;
      const { durationMs: _d, healthAfter: _a, latencyAddedMs: _l, ...sparse } = sample(2, { at: h.t.clock.now, action: 'scale-out' });
      const [b] = await h.t.kb.recordOutcomes([sparse]);
      expect(a).toEqual({ id: a!.id, ...full });
      expect(b).toEqual({ id: b!.id, ...sparse });
      expect(b).not.toHaveProperty('durationMs');
      expect((await h.t.kb.outcomeSamples({ faultClass: 'oom' })).map((s) => s.id)).toEqual([b!.id, a!.id]);
      expect((await h.t.kb.outcomeSamples({ faultClass: 'oom', action: 'microreboot' })).map((s) => s.id)).toEqual([a!.id]);
      expect(await h.t.kb.outcomeSamples({ faultClass: 'crash' })).toEqual([]);
    });

    it('with no case the estimates are the priors and the plan says so', async () => {
      const d = await decide(h.t.kb, policy, input());
      const micro = d.engine.candidates.find((c) => c.action === 'microreboot')!;
      expect(micro.learned.used).toEqual([]);
      expect([micro.expectedCost, micro.expectedLatencyMs, micro.expectedLoss]).toEqual([0.1, 10_000, 0]);
      expect(micro.expectedRecovery).toBeCloseTo(0.7 * 0.8, 12);
      expect(d.summary.reasons).toContain('estimates of microreboot: prior only (no cases)');
    });

    it('learns from each closed incident, and a repair whose measured latency keeps exceeding ℓ loses the plan', async () => {
      expect((await decide(h.t.kb, policy, input())).summary.action).toBe('microreboot');

      const first = await learnFromIncident(h.t.kb, policy, closed(1, [sample(1)]));
      expect(first.outcomeIds).toHaveLength(1);
      const id1 = first.outcomeIds[0]!;
      // One case of 150 s at a prior of 10 s, k = 2: (2·10 000 + 150 000) / 3 = 56 667 ms, still ≤ ℓ.
      const once = await decide(h.t.kb, policy, input());
      const m1 = once.engine.candidates.find((c) => c.action === 'microreboot')!;
      expect(once.summary.action).toBe('microreboot');
      expect(m1.expectedLatencyMs).toBeCloseTo(170_000 / 3, 9);
      expect(m1.expectedCost).toBeCloseTo((2 * 0.1 + durationCost(60_000)) / 3, 12);
      // health index 0.2 → 0.9: it won back 0.7 of the 0.8 lost
      expect(m1.expectedRecovery).toBeCloseTo((2 * 0.7 * 0.8 + 0.7 / 0.8) / 3, 12);
      const estimates = once.summary.reasons.find((r) => r.startsWith('estimates of microreboot: '));
      expect(estimates).toContain('lat=56667ms (n=1)');
      expect(estimates).toContain(
        `learned from 1 case(s), k=2: #${id1} (incident/demo/enrich/1 attempt 1, pass: C=${Math.round(durationCost(60_000) * 1000) / 1000} R=0.875 lat=150000ms loss=0)`,
      );

      h.t.clock.now += 60_000;
      const second = await learnFromIncident(h.t.kb, policy, closed(2, [sample(2, { at: h.t.clock.now })]));
      const id2 = second.outcomeIds[0]!;
      // Two cases: (2·10 000 + 2·150 000) / 4 = 80 000 ms > ℓ: microreboot is no longer feasible.
      const twice = await decide(h.t.kb, policy, input());
      expect(twice.summary.action).toBe('scale-out');
      const m2 = twice.engine.candidates.find((c) => c.action === 'microreboot')!;
      expect(m2.feasible).toBe(false);
      expect(m2.expectedLatencyMs).toBe(80_000);
      const excluded = twice.summary.reasons.find((r) => r.startsWith('microreboot excluded'));
      expect(excluded).toMatch(/SLO_lat 80000ms > ℓ 60000ms/);
      expect(excluded).toContain(`learned from 2 case(s), k=2: #${id2} (incident/demo/enrich/2 attempt 1`);
      expect(excluded).toContain(`#${id1} (incident/demo/enrich/1 attempt 1`);
      expect(twice.summary.reasons).toContain('estimates of scale-out: prior only (no cases)');
    });

    it('pools outcomes per fault signature: another fault class does not move this one', async () => {
      await learnFromIncident(h.t.kb, policy, closed(1, [sample(1, { faultClass: 'crash' }), sample(1, { faultClass: 'crash', attempt: 2 })]));
      const d = await decide(h.t.kb, policy, input());
      expect(d.summary.action).toBe('microreboot');
      expect(d.engine.candidates.find((c) => c.action === 'microreboot')!.learned.used).toEqual([]);
    });

    it('stores the samples in the caller’s transaction: a learn that fails later leaves none', async () => {
      await expect(
        h.t.kb.transaction(async (tx) => {
          await learnFromIncident(tx, policy, closed(1, [sample(1)]));
          throw new Error('boom after learning');
        }),
      ).rejects.toThrow('boom after learning');
      expect(await h.t.kb.outcomeSamples({})).toEqual([]);
      expect(await h.t.kb.casesForIncident('incident/demo/enrich/1')).toEqual([]);
    });
  });
}
