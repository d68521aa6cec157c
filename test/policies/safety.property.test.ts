/**
 * Property tests for the safety layer. Random policies, leases, histories and requests are
 * checked against an oracle written independently of policies/safety.ts: one plain check per
 * rule. Then random sequences of proposals (whatever an engine might output) are fed through the
 * layer, and the executed history is checked against every rule after the fact.
 */
import fc from 'fast-check';
import { evaluateSafety, type ActionRecord, type ActiveLease, type SafetyContext, type SafetyRequest } from '../../policies/safety';
import { PolicyFileSchema, type PolicyConfig, type PolicyFileInput } from '../../policies/schema';
import { ACTION_RISK, REPAIR_ACTIONS, SEVERITIES, type RepairAction } from '../../policies/taxonomy';

const NOW = Date.parse('2026-06-10T12:00:00Z');
const MIN = 60_000;
const COMPONENTS = ['a', 'b', 'c', 'd'];
const FAULTS = ['crash', 'oom', 'lag', 'schema-drift'] as const;
const TAGS = ['PHI', 'PCI', 'PII'];
const INCIDENTS = ['i1', 'i2', 'i3'];
const IDENTITIES = ['oncall-lead', 'mallory', 'junior'];

const action = fc.constantFrom(...REPAIR_ACTIONS);
const minutes = (max: number) => fc.integer({ min: 0, max }).map((m) => m * MIN);

const freezeWindow = fc.oneof(
  fc.record({
    name: fc.constant('abs'),
    start: fc.integer({ min: -180, max: 180 }),
    length: fc.integer({ min: 1, max: 240 }),
    effect: fc.constantFrom('deny' as const, 'require-approval' as const),
  }).map((w) => ({
    name: w.name,
    start: new Date(NOW + w.start * MIN).toISOString(),
    end: new Date(NOW + (w.start + w.length) * MIN).toISOString(),
    effect: w.effect,
  })),
  fc.record({
    name: fc.constant('daily'),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    length: fc.integer({ min: 1, max: 600 }),
    effect: fc.constantFrom('deny' as const, 'require-approval' as const),
  }).map((w) => ({ name: w.name, cron: `${w.minute} ${w.hour} * * *`, duration: w.length * MIN, effect: w.effect })),
);

const approvalRule = fc.record(
  {
    minSeverity: fc.constantFrom(...SEVERITIES),
    minRisk: fc.integer({ min: 0, max: 7 }),
    sensitivity: fc.subarray(TAGS, { minLength: 1 }),
    actions: fc.subarray([...REPAIR_ACTIONS], { minLength: 1 }),
    roles: fc.subarray(['oncall', 'lead', 'steward'], { minLength: 1 }),
  },
  { requiredKeys: [] },
);

const policyArb: fc.Arbitrary<PolicyConfig> = fc
  .record({
    tags: fc.array(fc.subarray(TAGS), { minLength: 4, maxLength: 4 }),
    repairs: fc.array(fc.subarray([...REPAIR_ACTIONS], { minLength: 1 }), { minLength: 4, maxLength: 4 }),
    cooldown: minutes(30),
    perAction: fc.dictionary(action, minutes(30), { maxKeys: 3 }),
    rate: fc.record({ maxActions: fc.integer({ min: 1, max: 8 }), window: minutes(120).map((w) => w + MIN) }),
    loop: fc.record({ maxRepeats: fc.integer({ min: 1, max: 4 }), window: minutes(120).map((w) => w + MIN) }),
    blast: fc.record({ maxConcurrentRemediations: fc.integer({ min: 1, max: 4 }), minHealthyFraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
    global: fc.record({ maxConcurrentRemediations: fc.integer({ min: 1, max: 6 }), minHealthyFraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
    freeze: fc.array(freezeWindow, { maxLength: 2 }),
    globalFreeze: fc.array(freezeWindow, { maxLength: 1 }),
    rules: fc.array(approvalRule, { maxLength: 3 }),
    juniorRoles: fc.subarray(['oncall', 'lead', 'steward', 'viewer'], { minLength: 1 }),
  })
  .map((g) => {
    const input: PolicyFileInput = {
      global: { ...g.global, freezeWindows: g.globalFreeze },
      approvers: [
        { identity: 'oncall-lead', roles: ['oncall', 'lead'] },
        { identity: 'junior', roles: g.juniorRoles, pipelines: ['p'] },
      ],
      pipelines: [
        {
          name: 'p',
          components: COMPONENTS.map((name, i) => ({ name, sensitivity: g.tags[i] })),
          slo: { latencyMs: 1000 },
          repairs: Object.fromEntries(FAULTS.map((f, i) => [f, g.repairs[i]])),
          cooldown: { default: g.cooldown, perAction: g.perAction },
          rateLimit: g.rate,
          loopDetection: g.loop,
          blastRadius: g.blast,
          freezeWindows: g.freeze,
          approval: { approverRoles: ['oncall'], rules: g.rules },
        },
      ],
    };
    return PolicyFileSchema.parse(input);
  });

const requestArb: fc.Arbitrary<SafetyRequest> = fc.record(
  {
    incidentId: fc.constantFrom(...INCIDENTS),
    pipeline: fc.constantFrom('p', 'p', 'p', 'q'),
    component: fc.constantFrom(...COMPONENTS, 'zz'),
    faultClass: fc.constantFrom(...FAULTS, 'hang' as const, 'unknown' as const),
    severity: fc.constantFrom(...SEVERITIES),
    action,
    approvedBy: fc.constantFrom(...IDENTITIES),
    forceApproval: fc.boolean(),
  },
  { requiredKeys: ['incidentId', 'pipeline', 'component', 'faultClass', 'severity', 'action'] },
);

const resourceArb = fc.constantFrom(...COMPONENTS.map((c) => `p/${c}`), 'q/x');
const leaseArb: fc.Arbitrary<ActiveLease> = fc.record({
  resource: resourceArb,
  holder: fc.constantFrom(...INCIDENTS, 'other'),
  expiresAt: fc.integer({ min: -10, max: 10 }).map((m) => NOW + m * MIN),
}).map((l) => ({ ...l, pipeline: l.resource.split('/')[0] as string }));
const historyArb: fc.Arbitrary<ActionRecord> = fc.record({
  at: fc.integer({ min: 0, max: 180 }).map((m) => NOW - m * MIN),
  resource: resourceArb,
  action,
  incidentId: fc.constantFrom(...INCIDENTS, 'other'),
}).map((h) => ({ ...h, pipeline: h.resource.split('/')[0] as string }));

const contextArb = (policy: PolicyConfig): fc.Arbitrary<SafetyContext> =>
  fc.record({
    leases: fc.array(leaseArb, { maxLength: 5 }),
    history: fc.array(historyArb, { maxLength: 15 }),
    pipelineHealth: fc.double({ min: 0, max: 1, noNaN: true }),
    fleetHealth: fc.double({ min: 0, max: 1, noNaN: true }),
  }).map((c) => ({ policy, now: NOW, leases: c.leases, history: c.history, health: { pipeline: c.pipelineHealth, fleet: c.fleetHealth } }));

const SEVERITY_RANK = { low: 0, medium: 1, high: 2, critical: 3 } as const;
const FREE: RepairAction[] = ['escalate', 'log-and-wait'];

/** Is the window active at `now`? Computed arithmetically, not with the cron module. */
function windowActive(w: PolicyConfig['pipelines'][number]['freezeWindows'][number], now: number): boolean {
  if (w.start && w.end) return Date.parse(w.start) <= now && now < Date.parse(w.end);
  const [m, h] = (w.cron as string).split(' ').map(Number) as [number, number];
  const minuteOfDay = Math.floor((now % 86_400_000) / MIN);
  const since = (((minuteOfDay - (h * 60 + m)) % 1440) + 1440) % 1440;
  return since * MIN < (w.duration as number);
}

interface OracleView {
  deny: string[];
  approval: string[];
  roles: string[];
}

/** The rules, each written out plainly. */
function oracle(req: SafetyRequest, ctx: SafetyContext): OracleView {
  const v: OracleView = { deny: [], approval: [], roles: [] };
  if (FREE.includes(req.action)) return v;
  const p = ctx.policy.pipelines.find((x) => x.name === req.pipeline);
  if (!p) return { ...v, deny: ['pipeline'] };
  const comp = p.components.find((c) => c.name === req.component);
  if (!comp) v.deny.push('component');
  const resource = `${req.pipeline}/${req.component}`;
  const listed = req.faultClass === 'unknown' ? [] : (p.repairs[req.faultClass] ?? []);
  if (!listed.includes(req.action)) v.deny.push('allowlist');
  const liveLeases = ctx.leases.filter((l) => l.expiresAt > ctx.now && l.holder !== req.incidentId);
  if (liveLeases.some((l) => l.resource === resource)) v.deny.push('lease');
  if (new Set(liveLeases.filter((l) => l.pipeline === req.pipeline).map((l) => l.resource)).size >= p.blastRadius.maxConcurrentRemediations) v.deny.push('blast-p');
  if (new Set(liveLeases.map((l) => l.resource)).size >= ctx.policy.global.maxConcurrentRemediations) v.deny.push('blast-all');
  if (ctx.health.pipeline < p.blastRadius.minHealthyFraction || ctx.health.fleet < ctx.policy.global.minHealthyFraction) v.deny.push('health');
  const within = (h: ActionRecord, w: number) => !FREE.includes(h.action) && h.at <= ctx.now && ctx.now - h.at < w;
  const cd = p.cooldown.perAction[req.action] ?? p.cooldown.default;
  if (ctx.history.some((h) => within(h, cd) && h.resource === resource && h.action === req.action)) v.deny.push('cooldown');
  if (ctx.history.filter((h) => within(h, p.rateLimit.window) && h.pipeline === req.pipeline).length >= p.rateLimit.maxActions) v.deny.push('rate');
  if (ctx.history.filter((h) => within(h, p.loopDetection.window) && h.resource === resource && h.action === req.action).length >= p.loopDetection.maxRepeats) v.deny.push('loop');
  for (const w of [...ctx.policy.global.freezeWindows, ...p.freezeWindows]) {
    if (windowActive(w, ctx.now)) (w.effect === 'deny' ? v.deny : v.approval).push('freeze');
  }
  const tags = comp?.sensitivity ?? [];
  const ruleRoles: string[] = [];
  for (const r of p.approval.rules) {
    const hit =
      (r.minSeverity === undefined || SEVERITY_RANK[req.severity] >= SEVERITY_RANK[r.minSeverity]) &&
      (r.minRisk === undefined || ACTION_RISK[req.action] >= r.minRisk) &&
      (r.sensitivity === undefined || r.sensitivity.some((t) => tags.includes(t))) &&
      (r.actions === undefined || r.actions.includes(req.action));
    if (hit) {
      v.approval.push('rule');
      ruleRoles.push(...(r.roles ?? p.approval.approverRoles));
    }
  }
  if (req.forceApproval) v.approval.push('forced');
  v.roles = ruleRoles.length > 0 ? ruleRoles : p.approval.approverRoles;
  return v;
}

function approvalValid(ctx: SafetyContext, req: SafetyRequest, roles: string[]): boolean {
  const a = ctx.policy.approvers.find((x) => x.identity === req.approvedBy);
  return !!a && (a.pipelines.includes('*') || a.pipelines.includes(req.pipeline)) && a.roles.some((r) => roles.includes(r));
}

describe('safety layer properties', () => {
  it('matches the per-rule oracle on random policies, leases, histories and requests', () => {
    fc.assert(
      fc.property(
        policyArb.chain((policy) => fc.tuple(contextArb(policy), requestArb)),
        ([ctx, req]) => {
          const got = evaluateSafety(req, ctx);
          const want = oracle(req, ctx);
          if (want.deny.length > 0) expect(got.verdict).toBe('deny');
          else if (want.approval.length > 0 && !approvalValid(ctx, req, want.roles)) expect(got.verdict).toBe('require-approval');
          else expect(got.verdict).toBe('allow');
          expect(got.reasons.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 2000, seed: 20261125 },
    );
  });

  it('no sequence of proposals can execute what the rules forbid', () => {
    const step = fc.record({
      dt: fc.integer({ min: 0, max: 15 }),
      component: fc.constantFrom(...COMPONENTS),
      faultClass: fc.constantFrom(...FAULTS),
      action,
      incidentId: fc.constantFrom(...INCIDENTS),
      approvedBy: fc.option(fc.constantFrom(...IDENTITIES), { nil: undefined }),
    });
    fc.assert(
      fc.property(policyArb, fc.array(step, { minLength: 1, maxLength: 40 }), (policy, steps) => {
        const p = policy.pipelines[0]!;
        const executed: ActionRecord[] = [];
        let now = NOW;
        for (const s of steps) {
          now += s.dt * MIN;
          const req: SafetyRequest = { ...s, pipeline: 'p', severity: 'medium' };
          const ctx: SafetyContext = { policy, now, leases: [], history: executed, health: { pipeline: 1, fleet: 1 } };
          if (evaluateSafety(req, ctx).verdict !== 'allow') continue;
          if (FREE.includes(s.action)) continue;
          // What was allowed must be allowlisted and outside deny-freezes…
          expect(p.repairs[s.faultClass]).toContain(s.action);
          for (const w of [...policy.global.freezeWindows, ...p.freezeWindows]) {
            if (w.effect === 'deny') expect(windowActive(w, now)).toBe(false);
          }
          // …and the executed history must respect cooldown, rate limit and loop detection.
          const resource = `p/${s.component}`;
          const before = (w: number) => executed.filter((h) => now - h.at < w);
          const cd = p.cooldown.perAction[s.action] ?? p.cooldown.default;
          expect(before(cd).some((h) => h.resource === resource && h.action === s.action)).toBe(false);
          expect(before(p.rateLimit.window).length).toBeLessThan(p.rateLimit.maxActions);
          expect(before(p.loopDetection.window).filter((h) => h.resource === resource && h.action === s.action).length).toBeLessThan(p.loopDetection.maxRepeats);
          executed.push({ at: now, pipeline: 'p', resource, action: s.action, incidentId: s.incidentId });
        }
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});
