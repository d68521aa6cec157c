import { decide, recordExecutedAction, revalidate, type DecisionInput } from '../../../knowledge/decide';
import { learnFromIncident, type LearnArgs } from '../../../knowledge/learn';
import { qState } from '../../../policies/q-learning';
import { demoPolicy, smallPolicy } from '../../policies/fixtures';
import { enrichOomDecision, useHarness, type KbFactory } from './harness';

const policy = demoPolicy();
const EXPLANATION = { trigger: 't', evidence: 'e', cause: 'c', action: 'a', impact: 'i', verification: 'v' };

/** The plan/revalidate/learn glue over a real knowledge base of each backend. */
export function decideContract(backend: string, factory: KbFactory): void {
  describe(`${backend}: decide / revalidate / learn over a real knowledge base`, () => {
    const h = useHarness(factory);

    const input = (patch: Partial<DecisionInput> = {}): DecisionInput => enrichOomDecision(h.t, patch);

    it('plans the first rung, allowed, with the policy’s timings and approvers', async () => {
      const d = await decide(h.t.kb, policy, input());
      expect(d.summary).toMatchObject({ planId: 'incident/demo/enrich#1:microreboot', action: 'microreboot', target: 'enrich', requiresApproval: false });
      expect(d.summary.alternatives.map((a) => a.action)).toEqual(['scale-out', 'escalate']);
      expect(d).toMatchObject({ mode: 'active', approvers: ['oncall-lead'], approvalTimeoutMs: 3_600_000, settleMs: 5_000, maxAttempts: 3, vetoed: [] });
      expect(d.safety.verdict).toBe('allow');
    });

    it('lets safety veto the engine’s choice and downgrade to the next allowed rung', async () => {
      await recordExecutedAction(h.t.kb, { incidentId: 'earlier', pipeline: 'demo', component: 'enrich', action: 'microreboot', now: h.t.clock.now - 30_000 });
      const d = await decide(h.t.kb, policy, input());
      expect(d.engine.action).toBe('microreboot');
      expect(d.summary.action).toBe('scale-out');
      expect(d.vetoed[0]!.reasons[0]).toBe('microreboot ran on demo/enrich 30s ago; cooldown is 60s');
      expect(d.summary.reasons.join('\n')).toMatch(/safety vetoed microreboot/);
      expect(d.summary.alternatives.map((a) => a.action)).toEqual(['escalate']);
    });

    it('requires approval for high-risk actions, names who may approve, and expires with the timeout', async () => {
      const d = await decide(h.t.kb, policy, input({ faultClass: 'corrupted-checkpoint' }));
      expect(d.summary.action).toBe('checkpoint-restore');
      expect(d.summary.requiresApproval).toBe(true);
      expect(d.summary.expiresAt).toBe(new Date(h.t.clock.now + 3_600_000).toISOString());
      expect(d.approvers).toEqual(['oncall-lead']);
      expect(d.approvers).not.toContain('mallory');
    });

    it('revalidates after approval and takes the lease; a second incident is then refused', async () => {
      const base = { pipeline: 'demo', component: 'enrich', faultClass: 'corrupted-checkpoint' as const, severity: 'medium' as const, action: 'checkpoint-restore' as const, mode: 'active' as const, now: h.t.clock.now, leaseTtlMs: 60_000 };
      expect((await revalidate(h.t.kb, policy, { ...base, incidentId: 'a' })).verdict).toBe('require-approval');
      expect((await revalidate(h.t.kb, policy, { ...base, incidentId: 'a', approvedBy: 'mallory' })).verdict).toBe('require-approval');
      const ok = await revalidate(h.t.kb, policy, { ...base, incidentId: 'a', approvedBy: 'oncall-lead' });
      expect(ok).toMatchObject({ verdict: 'allow', leaseToken: 1 });
      const other = await revalidate(h.t.kb, policy, { ...base, incidentId: 'b', approvedBy: 'oncall-lead' });
      expect(other.verdict).toBe('deny');
      expect(other.reasons.join()).toMatch(/being remediated by incident a/);
      // Shadow mode never takes a lease.
      expect(await revalidate(h.t.kb, policy, { ...base, component: 'score', incidentId: 'c', approvedBy: 'oncall-lead', mode: 'shadow' })).toEqual({
        verdict: 'allow',
        reasons: expect.any(Array),
      });
    });

    it('learns: stores the case, updates Q along the ladder, audits, and promotes after enough matching shadow cases', async () => {
      const shadowPolicy = smallPolicy({ mode: 'shadow', promotion: { minCases: 3, precisionBar: 0.9 } });
      const learn = (i: number, patch: Partial<LearnArgs> = {}): LearnArgs => ({
        incidentId: `incident/p/a/${i}`,
        signature: { pipeline: 'p', component: 'a', faultClass: 'oom', severity: 'medium' },
        mode: 'active',
        wouldDo: 'microreboot',
        attempts: [
          { action: 'microreboot', verification: 'fail', durationMs: 5_000 },
          { action: 'scale-out', verification: 'pass', cost: 0.3 },
        ],
        outcome: 'healed',
        evidence: [],
        explanation: EXPLANATION,
        recentRepairs: 0,
        now: h.t.clock.now + i,
        ...patch,
      });
      const r = await learnFromIncident(h.t.kb, shadowPolicy, learn(1));
      expect(r.caseId).toBe(1);
      expect(r.qUpdates.map((q) => [q.state, q.action])).toEqual([
        [qState('oom', 'medium', 0), 'microreboot'],
        [qState('oom', 'medium', 1), 'scale-out'],
      ]);
      expect(r.qUpdates[1]!.value).toBeCloseTo(0.2 * (1 - 0.3));
      expect(await h.t.kb.qTable()).toHaveLength(2);
      // would-do microreboot, verified scale-out: a miss. Then three shadow hits in a row.
      for (let i = 2; i <= 4; i++) {
        const res = await learnFromIncident(h.t.kb, shadowPolicy, learn(i, { mode: 'shadow', attempts: [], finalAction: 'microreboot', outcome: 'shadowed' }));
        expect(res.promotion).toBeUndefined(); // 1 miss in ≤ 4 cases keeps precision < 0.9
      }
      const strict = smallPolicy({ mode: 'shadow', promotion: { minCases: 3, precisionBar: 0.9, window: 3 } });
      const promoted = await learnFromIncident(h.t.kb, strict, learn(5, { mode: 'shadow', attempts: [], finalAction: 'microreboot', outcome: 'shadowed' }));
      expect(promoted.promotion).toMatchObject({ kind: 'promote', pipeline: 'p', faultClass: 'oom', to: 'active', cases: 3 });
      expect((await h.t.kb.getMode('p', 'oom'))?.mode).toBe('active');
      const audit = await h.t.kb.listAudit();
      expect(audit.map((a) => a.action)).toEqual(['case-recorded', 'case-recorded', 'case-recorded', 'case-recorded', 'case-recorded', 'promote']);
      expect(await h.t.kb.verifyAuditChain()).toEqual({ ok: true, rows: 6 });
      // The learnt mode now applies when planning.
      const d = await decide(h.t.kb, strict, input({ pipeline: 'p', component: 'a', incidentId: 'x' }));
      expect(d.mode).toBe('active');
    });

    it('learns how to verify each action from its past verifications: the deadline from their times, the passes in a row from their flaps', async () => {
      // demo policy: verification defaults (every 1 s, 2..5 passes in a row, deadline 10 s..120 s, 30 s at first).
      const fresh = await decide(h.t.kb, policy, input({ faultClass: 'crash' }));
      expect(fresh.summary.action).toBe('microreboot');
      expect(fresh.verification).toEqual({ passesInARow: 2, deadlineMs: 30_000, probeEveryMs: 1_000, basis: "no past verification of microreboot: the policy's initial deadline" });
      const past = (i: number, verifyMs: number, flaps: number): LearnArgs => ({
        incidentId: `incident/demo/enrich/${i}`,
        signature: { pipeline: 'demo', component: 'enrich', faultClass: 'crash', severity: 'medium' },
        mode: 'active',
        wouldDo: 'microreboot',
        attempts: [{ action: 'microreboot', verification: 'pass', verifyMs, probeRounds: 3, flaps }],
        outcome: 'healed',
        evidence: [],
        explanation: EXPLANATION,
        recentRepairs: 0,
        now: h.t.clock.now - 86_400_000 + i,
      });
      await learnFromIncident(h.t.kb, policy, past(1, 2_500, 0));
      await learnFromIncident(h.t.kb, policy, past(2, 4_000, 0));
      // Two fast passes are too few to shorten the policy's initial deadline.
      const early = await decide(h.t.kb, policy, input({ faultClass: 'crash' }));
      expect(early.verification).toMatchObject({ passesInARow: 2, deadlineMs: 30_000 });
      expect(early.verification.basis).toBe("2 past passing verification(s) of microreboot, slowest 4.0 s: too few (< 3) to shorten the policy's initial deadline");
      await learnFromIncident(h.t.kb, policy, past(3, 3_000, 0));
      const quick = await decide(h.t.kb, policy, input({ faultClass: 'crash' }));
      // 2 × the slowest (4 s) + 2 rounds of 1 s: 10 s, at the policy's floor.
      expect(quick.verification).toMatchObject({ passesInARow: 2, deadlineMs: 10_000 });
      expect(quick.verification.basis).toBe('3 past passing verification(s) of microreboot, slowest 4.0 s');
      // A slow verification that flapped once: a longer deadline and one more pass in a row.
      await learnFromIncident(h.t.kb, policy, past(4, 20_000, 1));
      const slow = await decide(h.t.kb, policy, input({ faultClass: 'crash' }));
      expect(slow.verification).toMatchObject({ passesInARow: 3, deadlineMs: 43_000 });
      // Bounded by the policy: never past deadline.max, however slow the past.
      await learnFromIncident(h.t.kb, policy, past(5, 600_000, 0));
      expect((await decide(h.t.kb, policy, input({ faultClass: 'crash' }))).verification.deadlineMs).toBe(120_000);
      // The worker's settle override (a Kafka group's rebalance…) is the floor.
      const restore = await decide(h.t.kb, policy, input({ faultClass: 'corrupted-checkpoint', settleMs: 45_000 }));
      expect(restore.verification).toMatchObject({ passesInARow: 2, deadlineMs: 45_000 });
    });

    it('admits concurrent revalidations from several connections one at a time: rate limit and blast radius hold', async () => {
      // At most 2 repairs per window and 2 at once in pipeline p; 6 incidents on 6 resources race.
      const tight = smallPolicy({
        components: ['a', 'c', 'd', 'e', 'f', 'g'].map((name) => ({ name })),
        edges: [],
        approval: { rules: [] },
        rateLimit: { maxActions: 2, window: 600_000 },
        blastRadius: { maxConcurrentRemediations: 2, minHealthyFraction: 0 },
      });
      const workers = h.t.concurrentConnections ? [h.t.kb, await h.t.reopen(), await h.t.reopen()] : [h.t.kb];
      const components = ['a', 'c', 'd', 'e', 'f', 'g'];
      const results = await Promise.all(
        components.map((component, i) =>
          revalidate(workers[i % workers.length]!, tight, {
            incidentId: `incident/p/${component}`,
            pipeline: 'p',
            component,
            faultClass: 'crash',
            severity: 'medium',
            action: 'microreboot',
            mode: 'active',
            now: h.t.clock.now,
            leaseTtlMs: 60_000,
          }),
        ),
      );
      expect(results.filter((r) => r.verdict === 'allow')).toHaveLength(2);
      expect(await h.t.kb.activeLeases()).toHaveLength(2);
      // With both leases in flight, a third is refused by the rate limit as well as the blast radius.
      const denied = results.find((r) => r.verdict === 'deny')!;
      expect(denied.reasons.join('\n')).toMatch(/2 remediation\(s\) in pipeline p within 600s \(limit 2\)/);
      expect(denied.reasons.join('\n')).toMatch(/2 remediation\(s\) already running in pipeline p \(limit 2\)/);
    });
  });
}
