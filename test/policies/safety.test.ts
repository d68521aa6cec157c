import { evaluateSafety, type SafetyContext, type SafetyRequest } from '../../policies/safety';
import { demoPolicy, smallPolicy } from './fixtures';

const NOW = Date.parse('2026-06-10T12:00:00Z');
const MIN = 60_000;

function ctx(patch: Partial<SafetyContext> = {}): SafetyContext {
  return { policy: smallPolicy(), now: NOW, leases: [], history: [], health: { pipeline: 1, fleet: 1 }, ...patch };
}

function req(patch: Partial<SafetyRequest> = {}): SafetyRequest {
  return { incidentId: 'inc-1', pipeline: 'p', component: 'a', faultClass: 'crash', severity: 'medium', action: 'microreboot', ...patch };
}

describe('evaluateSafety', () => {
  it('allows an allowlisted low-risk action when nothing stands in the way', () => {
    const d = evaluateSafety(req(), ctx());
    expect(d.verdict).toBe('allow');
    expect(d.reasons).toEqual(['every safety rule passed']);
  });

  it('always allows escalate and log-and-wait, even on unknown pipelines and in a freeze', () => {
    const frozen = smallPolicy({ freezeWindows: [{ name: 'all', start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' }] });
    for (const action of ['escalate', 'log-and-wait'] as const) {
      expect(evaluateSafety(req({ action }), ctx({ policy: frozen })).verdict).toBe('allow');
      expect(evaluateSafety(req({ action, pipeline: 'nope' }), ctx()).verdict).toBe('allow');
    }
  });

  it('denies actions outside the allowlist for the fault class', () => {
    const d = evaluateSafety(req({ action: 'scale-out' }), ctx());
    expect(d.verdict).toBe('deny');
    expect(d.reasons.join('\n')).toMatch(/scale-out is not an allowed repair for crash/);
    expect(evaluateSafety(req({ faultClass: 'unknown' }), ctx()).verdict).toBe('deny');
  });

  it('denies unknown pipelines and components', () => {
    expect(evaluateSafety(req({ pipeline: 'other' }), ctx()).verdict).toBe('deny');
    expect(evaluateSafety(req({ component: 'zzz' }), ctx()).reasons.join()).toMatch(/not declared/);
  });

  it('denies when another incident holds the lease on the resource, not when we hold it or it expired', () => {
    const lease = { resource: 'p/a', pipeline: 'p', holder: 'inc-9', expiresAt: NOW + MIN };
    const d = evaluateSafety(req(), ctx({ leases: [lease] }));
    expect(d.verdict).toBe('deny');
    expect(d.findings.map((f) => f.rule)).toContain('lease');
    expect(d.reasons.join()).toMatch(/being remediated by incident inc-9/);
    expect(evaluateSafety(req(), ctx({ leases: [{ ...lease, holder: 'inc-1' }] })).verdict).toBe('allow');
    expect(evaluateSafety(req(), ctx({ leases: [{ ...lease, expiresAt: NOW }] })).verdict).toBe('allow');
  });

  it('enforces the blast radius per pipeline and overall', () => {
    const leases = [
      { resource: 'p/b', pipeline: 'p', holder: 'x', expiresAt: NOW + MIN },
      { resource: 'p/c', pipeline: 'p', holder: 'y', expiresAt: NOW + MIN },
    ];
    const d = evaluateSafety(req(), ctx({ leases }));
    expect(d.verdict).toBe('deny');
    expect(d.reasons.join()).toMatch(/2 remediation\(s\) already running in pipeline p \(limit 2\)/);
    const global = smallPolicy({ blastRadius: { maxConcurrentRemediations: 10 } }, { maxConcurrentRemediations: 1 });
    const overall = evaluateSafety(req(), ctx({ policy: global, leases: [{ resource: 'q/x', pipeline: 'q', holder: 'z', expiresAt: NOW + MIN }] }));
    expect(overall.verdict).toBe('deny');
    expect(overall.reasons.join()).toMatch(/already running overall/);
  });

  it('denies when too little of the pipeline or fleet is healthy', () => {
    expect(evaluateSafety(req(), ctx({ health: { pipeline: 0.4, fleet: 1 } })).reasons.join()).toMatch(/only 40% of pipeline p is healthy/);
    expect(evaluateSafety(req(), ctx({ health: { pipeline: 1, fleet: 0.2 } })).verdict).toBe('deny');
  });

  it('denies within the cooldown for the same resource and action, with the reason', () => {
    const history = [{ at: NOW - 2 * MIN, pipeline: 'p', resource: 'p/a', action: 'microreboot' as const, incidentId: 'old' }];
    const d = evaluateSafety(req(), ctx({ history }));
    expect(d.verdict).toBe('deny');
    expect(d.findings.map((f) => f.rule)).toEqual(['cooldown']);
    expect(d.reasons[0]).toBe('microreboot ran on p/a 120s ago; cooldown is 300s');
    // Another resource, another action, or past the cooldown: fine.
    expect(evaluateSafety(req({ component: 'c' }), ctx({ history })).verdict).toBe('allow');
    expect(evaluateSafety(req({ action: 'checkpoint-restore' }), ctx({ history, policy: smallPolicy({ approval: { rules: [] } }) })).verdict).toBe('allow');
    expect(evaluateSafety(req(), ctx({ history: [{ ...history[0]!, at: NOW - 6 * MIN }] })).verdict).toBe('allow');
  });

  it('honours per-action cooldowns', () => {
    const policy = smallPolicy({ cooldown: { default: '5m', perAction: { microreboot: '30s' } } });
    const history = [{ at: NOW - MIN, pipeline: 'p', resource: 'p/a', action: 'microreboot' as const, incidentId: 'old' }];
    expect(evaluateSafety(req(), ctx({ policy, history })).verdict).toBe('allow');
  });

  it('denies past the pipeline rate limit', () => {
    const policy = smallPolicy({ rateLimit: { maxActions: 3, window: '1h' }, cooldown: { default: 0 } });
    const history = [1, 2, 3].map((i) => ({ at: NOW - i * 10 * MIN, pipeline: 'p', resource: `p/c`, action: 'scale-out' as const, incidentId: `i${i}` }));
    const d = evaluateSafety(req(), ctx({ policy, history }));
    expect(d.verdict).toBe('deny');
    expect(d.findings.map((f) => f.rule)).toEqual(['rate-limit']);
    expect(d.reasons[0]).toMatch(/3 remediation\(s\) in pipeline p within 3600s \(limit 3\)/);
    // escalations do not count towards the limit
    const escalations = history.map((h) => ({ ...h, action: 'escalate' as const }));
    expect(evaluateSafety(req(), ctx({ policy, history: escalations })).verdict).toBe('allow');
  });

  it('detects loops: the same action on the same resource N times in the window → deny, escalate', () => {
    const policy = smallPolicy({ loopDetection: { maxRepeats: 3, window: '1h' }, cooldown: { default: '1m' } });
    const history = [10, 20, 30].map((m) => ({ at: NOW - m * MIN, pipeline: 'p', resource: 'p/a', action: 'microreboot' as const, incidentId: `i${m}` }));
    const d = evaluateSafety(req(), ctx({ policy, history }));
    expect(d.verdict).toBe('deny');
    expect(d.findings.map((f) => f.rule)).toEqual(['loop']);
    expect(d.reasons[0]).toMatch(/already ran 3 time\(s\) on p\/a .*loop detected, escalate to a human/);
    expect(evaluateSafety(req(), ctx({ policy, history: history.slice(1) })).verdict).toBe('allow');
  });

  it('applies freeze windows: absolute and cron, deny or require-approval, optionally per action', () => {
    const absolute = smallPolicy({ freezeWindows: [{ name: 'release', start: '2026-06-10T11:00:00Z', end: '2026-06-10T13:00:00Z' }] });
    expect(evaluateSafety(req(), ctx({ policy: absolute })).reasons).toEqual(['change freeze "release" is in effect (deny)']);
    expect(evaluateSafety(req(), ctx({ policy: absolute, now: NOW + 2 * 3_600_000 })).verdict).toBe('allow');
    // 2026-06-10 is a Wednesday: a window opening Wednesdays at 11:30 for 1h covers 12:00.
    const cron = smallPolicy({ freezeWindows: [{ name: 'wed', cron: '30 11 * * 3', duration: '1h', effect: 'require-approval' }] });
    expect(evaluateSafety(req(), ctx({ policy: cron })).verdict).toBe('require-approval');
    expect(evaluateSafety(req(), ctx({ policy: cron, now: NOW + 3_600_000 })).verdict).toBe('allow');
    const onlyScale = smallPolicy({ freezeWindows: [{ name: 'x', cron: '* * * * *', duration: '1m', actions: ['scale-out'] }] });
    expect(evaluateSafety(req(), ctx({ policy: onlyScale })).verdict).toBe('allow');
    const globalFreeze = smallPolicy({}, { freezeWindows: [{ name: 'g', start: '2026-06-01T00:00:00Z', end: '2026-07-01T00:00:00Z' }] });
    expect(evaluateSafety(req(), ctx({ policy: globalFreeze })).verdict).toBe('deny');
  });

  it('requires approval for sensitive components, and an authorised approval satisfies it', () => {
    const d = evaluateSafety(req({ component: 'b' }), ctx());
    expect(d.verdict).toBe('require-approval');
    expect(d.reasons[0]).toMatch(/approval rule "phi": component tagged PHI/);
    expect(d.approverRoles).toEqual(['oncall']);
    expect(evaluateSafety(req({ component: 'b', approvedBy: 'oncall-lead' }), ctx()).verdict).toBe('allow');
    const bad = evaluateSafety(req({ component: 'b', approvedBy: 'mallory' }), ctx());
    expect(bad.verdict).toBe('require-approval');
    expect(bad.reasons.join()).toMatch(/mallory.*not a listed approver/);
    expect(evaluateSafety(req({ component: 'b', approvedBy: 'junior' }), ctx()).verdict).toBe('require-approval');
  });

  it('requires approval by severity and risk rules, and on operator request', () => {
    const policy = demoPolicy();
    const base = { pipeline: 'demo', component: 'enrich' };
    expect(evaluateSafety(req({ ...base, severity: 'critical' }), ctx({ policy })).verdict).toBe('require-approval');
    const risky = evaluateSafety(req({ ...base, action: 'checkpoint-restore' }), ctx({ policy }));
    expect(risky.verdict).toBe('require-approval');
    expect(risky.approverRoles).toEqual(['lead']);
    expect(evaluateSafety(req({ ...base }), ctx({ policy })).verdict).toBe('allow');
    expect(evaluateSafety(req({ ...base, forceApproval: true }), ctx({ policy })).verdict).toBe('require-approval');
  });

  it('an approval never overrides a deny', () => {
    const history = [{ at: NOW - MIN, pipeline: 'p', resource: 'p/b', action: 'microreboot' as const, incidentId: 'old' }];
    const d = evaluateSafety(req({ component: 'b', approvedBy: 'oncall-lead' }), ctx({ history }));
    expect(d.verdict).toBe('deny');
  });
});
