/**
 * Property test of exploration, over a real SQLite knowledge base: whatever the policy (cooldowns,
 * rate limits, loop detection, freezes limited to some actions, approval rules), the recent
 * history and the leases, an exploring plan (shadow mode or a drill, ε = 1, any seed) never picks
 * an action the safety layer would deny — nor one that would need a human's approval: the
 * explored action is the plan's action, with no veto. A control shows the bound has teeth: the
 * same engine without it explores into denied actions on these inputs. And a plan is seeded per
 * run, not per incident id: two runs of one incident explore differently.
 */
import fc from 'fast-check';
import { decide, safetyContext } from '../../knowledge/decide';
import { planRepair } from '../../policies/engine';
import { findPipeline, repairLadder } from '../../policies/lookup';
import { seededRng, seedFrom } from '../../common/rng';
import { evaluateSafety, resourceOf } from '../../policies/safety';
import { PolicyFileSchema, type PolicyConfig } from '../../policies/schema';
import type { RepairAction } from '../../policies/taxonomy';
import { tempKb } from '../knowledge/helpers';

jest.setTimeout(120_000);

const MIN = 60_000;
const AUTOMATED: RepairAction[] = ['microreboot', 'scale-out', 'load-shedding', 'checkpoint-restore', 'quarantine', 'retry-with-backoff'];

const scenarioArb = fc.record({
  ladder: fc.shuffledSubarray(AUTOMATED, { minLength: 2, maxLength: 5 }),
  perAction: fc.dictionary(fc.constantFrom(...AUTOMATED), fc.integer({ min: 0, max: 60 }).map((m) => m * MIN), { maxKeys: 3 }),
  rateMax: fc.integer({ min: 1, max: 6 }),
  loopMax: fc.integer({ min: 1, max: 4 }),
  frozen: fc.subarray(AUTOMATED, { maxLength: 3 }),
  freezeEffect: fc.constantFrom('deny' as const, 'require-approval' as const),
  approvalMinRisk: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
  history: fc.array(fc.record({ action: fc.constantFrom(...AUTOMATED), minutesAgo: fc.integer({ min: 1, max: 90 }), component: fc.constantFrom('a', 'b') }), { maxLength: 8 }),
  leasedByOther: fc.boolean(),
  shadow: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function policyOf(s: Scenario, now: number): PolicyConfig {
  return PolicyFileSchema.parse({
    global: { engine: { epsilon: 1 } },
    approvers: [{ identity: 'oncall-lead', roles: ['oncall', 'lead'] }],
    pipelines: [
      {
        name: 'p',
        mode: 'active',
        components: [{ name: 'a' }, { name: 'b' }],
        edges: [{ from: 'a', to: 'b' }],
        slo: { latencyMs: 600_000, maxLoss: 0.5 },
        repairs: { lag: [...s.ladder, 'escalate'] },
        cooldown: { default: 0, perAction: s.perAction },
        rateLimit: { maxActions: s.rateMax, window: 60 * MIN },
        loopDetection: { maxRepeats: s.loopMax, window: 60 * MIN },
        freezeWindows: s.frozen.length
          ? [{ name: 'freeze', start: new Date(now - 10 * MIN).toISOString(), end: new Date(now + 10 * MIN).toISOString(), effect: s.freezeEffect, actions: s.frozen }]
          : [],
        approval: { approverRoles: ['oncall'], rules: s.approvalMinRisk !== undefined ? [{ name: 'risky', minRisk: s.approvalMinRisk }] : [] },
      },
    ],
  });
}

test('exploration never picks an action safety would deny (or hold for approval); without the bound it would', async () => {
  let explored = 0;
  let unboundedIntoDenied = 0;
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (s) => {
      const t = tempKb();
      try {
        const now = t.clock.now;
        const policy = policyOf(s, now);
        for (const [i, h] of s.history.entries()) {
          await t.kb.recordAction({ at: now - h.minutesAgo * MIN, pipeline: 'p', resource: resourceOf('p', h.component), action: h.action, incidentId: `past-${i}` });
        }
        if (s.leasedByOther) await t.kb.acquireLease({ resource: resourceOf('p', 'a'), pipeline: 'p', holder: 'other-incident', ttlMs: 10 * MIN });
        const input = {
          incidentId: 'incident/p/a',
          pipeline: 'p',
          component: 'a',
          faultClass: 'lag' as const,
          severity: 'medium' as const,
          attempt: 1,
          exclude: [],
          now,
          rng: seededRng(s.seed),
          ...(s.shadow ? { requestedMode: 'shadow' as const } : { drill: true }),
        };
        const d = await decide(t.kb, policy, input);

        const ctx = await safetyContext(t.kb, policy, findPipeline(policy, 'p')!, now);
        const verdict = (action: RepairAction) =>
          evaluateSafety({ incidentId: input.incidentId, pipeline: 'p', component: 'a', faultClass: 'lag', severity: 'medium', action }, ctx).verdict;
        if (d.engine.explored) {
          explored += 1;
          expect({ action: d.engine.action, verdict: verdict(d.engine.action) }).toEqual({ action: d.engine.action, verdict: 'allow' });
          expect(d.summary.action).toBe(d.engine.action);
          expect(d.vetoed).toEqual([]);
        }
        expect(verdict(d.summary.action)).not.toBe('deny');

        // Control: the same request and seed, exploration unbounded.
        const unbounded = planRepair({
          incidentId: input.incidentId,
          attempt: 1,
          pipeline: findPipeline(policy, 'p')!,
          engine: policy.global.engine,
          component: 'a',
          faultClass: 'lag',
          severity: 'medium',
          cases: [],
          qTable: [],
          recentRepairs: 0,
          mode: s.shadow ? 'shadow' : 'active',
          drill: !s.shadow,
          rng: seededRng(s.seed),
        });
        if (unbounded.explored && verdict(unbounded.action) === 'deny') unboundedIntoDenied += 1;
      } finally {
        await t.cleanup();
      }
    }),
    { numRuns: 150 },
  );
  expect(explored).toBeGreaterThan(10);
  expect(unboundedIntoDenied).toBeGreaterThan(0);
});

test('exploration is seeded per run: one incident id, different runs, different explored choices; one run, the same', async () => {
  const t = tempKb();
  try {
    const policy = policyOf(
      { ladder: ['microreboot', 'scale-out', 'load-shedding', 'quarantine'], perAction: {}, rateMax: 6, loopMax: 4, frozen: [], freezeEffect: 'deny', history: [], leasedByOther: false, shadow: true, seed: 0, approvalMinRisk: undefined },
      t.clock.now,
    );
    expect(repairLadder(findPipeline(policy, 'p')!, 'lag')).toHaveLength(5);
    const plan = (run: string) =>
      decide(t.kb, policy, { incidentId: 'incident/p/a', pipeline: 'p', component: 'a', faultClass: 'lag', severity: 'medium', attempt: 1, exclude: [], now: t.clock.now, requestedMode: 'shadow', seedKey: `incident/p/a@${run}` });
    const choices = new Set<string>();
    for (let i = 0; i < 12; i++) choices.add((await plan(`run-${i}`)).summary.action);
    expect(choices.size).toBeGreaterThan(1);
    // A retried plan activity of one run plans the same.
    expect((await plan('run-3')).summary.action).toBe((await plan('run-3')).summary.action);
    expect(seedFrom('incident/p/a@run-1#1')).not.toBe(seedFrom('incident/p/a@run-2#1'));
  } finally {
    await t.cleanup();
  }
});
