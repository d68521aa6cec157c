/**
 * The safety layer: fixed rules with the last word over every plan. Nothing learnt reaches it —
 * its only inputs are the human-written policy and facts (time, leases, history, health) — so no
 * sequence of engine outputs can talk it into an action its rules forbid.
 *
 * Verdicts combine as: any deny → deny; else any approval requirement not yet met →
 * require-approval; else allow. `escalate` and `log-and-wait` are always allowed.
 * Pure: no I/O, no clock, safe to import from workflow code.
 */
import { inCronWindow, parseCron } from './cron';
import {
  authoriseApprover,
  findComponent,
  findPipeline,
  isAlwaysAllowed,
  matchApprovalRules,
  repairLadder,
} from './lookup';
import type { FreezeWindow, PipelinePolicy, PolicyConfig } from './schema';
import type { FaultClass, RepairAction, Severity, UNKNOWN_FAULT } from './taxonomy';

export type SafetyVerdictKind = 'allow' | 'deny' | 'require-approval';

export interface SafetyRequest {
  incidentId: string;
  pipeline: string;
  component: string;
  /** What the lease, cooldown and loop rules key on; default `resourceOf(pipeline, component)`. */
  resource?: string;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  severity: Severity;
  action: RepairAction;
  /** The identity that approved this very plan. Satisfies approval requirements, never a deny. */
  approvedBy?: string;
  /** The operator asked for an approval step whatever the rules say. */
  forceApproval?: boolean;
}

/** A remediation lease currently recorded in the knowledge base. */
export interface ActiveLease {
  resource: string;
  pipeline: string;
  /** Incident id of the holder. */
  holder: string;
  /** Epoch ms; a lease at or past its expiry no longer counts. */
  expiresAt: number;
}

/** A remediation that was executed (not merely planned or shadowed). */
export interface ActionRecord {
  at: number;
  pipeline: string;
  resource: string;
  action: RepairAction;
  incidentId: string;
}

export interface SafetyContext {
  policy: PolicyConfig;
  /** Epoch ms. */
  now: number;
  leases: readonly ActiveLease[];
  history: readonly ActionRecord[];
  /**
   * Remediations admitted (their lease taken) whose action is not in `history` yet: they count
   * against the rate limit, so that several workers admitting at once cannot overshoot it.
   */
  inFlight?: readonly { pipeline: string; resource: string; holder: string }[];
  /** Fraction of healthy components, in the pipeline and across every pipeline watched. */
  health: { pipeline: number; fleet: number };
}

export type SafetyRule =
  | 'always-allowed'
  | 'pipeline'
  | 'allowlist'
  | 'lease'
  | 'blast-radius'
  | 'min-healthy'
  | 'cooldown'
  | 'rate-limit'
  | 'loop'
  | 'freeze'
  | 'approval';

export interface SafetyFinding {
  rule: SafetyRule;
  effect: 'deny' | 'require-approval';
  reason: string;
}

export interface SafetyDecision {
  verdict: SafetyVerdictKind;
  /** Why, in order of the rules; goes verbatim into the explanation. */
  reasons: string[];
  findings: SafetyFinding[];
  /** When approval is required: roles any one of which may approve. */
  approverRoles: string[];
}

export function resourceOf(pipeline: string, component: string): string {
  return `${pipeline}/${component}`;
}

const live = (ctx: SafetyContext) => (l: ActiveLease) => l.expiresAt > ctx.now;

/** Executed remediations (not escalate / log-and-wait) inside the last `windowMs`. */
function recent(ctx: SafetyContext, windowMs: number): ActionRecord[] {
  return ctx.history.filter((h) => h.at > ctx.now - windowMs && h.at <= ctx.now && !isAlwaysAllowed(h.action));
}

export function freezeWindowActive(w: FreezeWindow, action: RepairAction, now: number): boolean {
  if (w.actions !== undefined && !w.actions.includes(action)) return false;
  if (w.start !== undefined && w.end !== undefined) return Date.parse(w.start) <= now && now < Date.parse(w.end);
  if (w.cron !== undefined && w.duration !== undefined) return inCronWindow(parseCron(w.cron), w.duration, now);
  return false;
}

function limitFindings(req: SafetyRequest, resource: string, p: PipelinePolicy, ctx: SafetyContext): SafetyFinding[] {
  const out: SafetyFinding[] = [];
  const deny = (rule: SafetyRule, reason: string) => out.push({ rule, effect: 'deny', reason });
  const leases = ctx.leases.filter(live(ctx));

  const held = leases.find((l) => l.resource === resource && l.holder !== req.incidentId);
  if (held) deny('lease', `${resource} is being remediated by incident ${held.holder} (one active remediation per resource)`);

  const others = leases.filter((l) => l.holder !== req.incidentId);
  const inPipeline = new Set(others.filter((l) => l.pipeline === req.pipeline).map((l) => l.resource)).size;
  if (inPipeline >= p.blastRadius.maxConcurrentRemediations) {
    deny('blast-radius', `${inPipeline} remediation(s) already running in pipeline ${req.pipeline} (limit ${p.blastRadius.maxConcurrentRemediations})`);
  }
  const overall = new Set(others.map((l) => l.resource)).size;
  if (overall >= ctx.policy.global.maxConcurrentRemediations) {
    deny('blast-radius', `${overall} remediation(s) already running overall (limit ${ctx.policy.global.maxConcurrentRemediations})`);
  }
  if (ctx.health.pipeline < p.blastRadius.minHealthyFraction) {
    deny('min-healthy', `only ${pct(ctx.health.pipeline)} of pipeline ${req.pipeline} is healthy (minimum ${pct(p.blastRadius.minHealthyFraction)}): a wider problem, escalate to a human`);
  }
  if (ctx.health.fleet < ctx.policy.global.minHealthyFraction) {
    deny('min-healthy', `only ${pct(ctx.health.fleet)} of the fleet is healthy (minimum ${pct(ctx.policy.global.minHealthyFraction)}): a wider problem, escalate to a human`);
  }

  const cooldownMs = p.cooldown.perAction[req.action] ?? p.cooldown.default;
  const last = recent(ctx, cooldownMs).filter((h) => h.resource === resource && h.action === req.action);
  if (last.length > 0) {
    const latest = Math.max(...last.map((h) => h.at));
    deny('cooldown', `${req.action} ran on ${resource} ${secs(ctx.now - latest)} ago; cooldown is ${secs(cooldownMs)}`);
  }

  const inWindow =
    recent(ctx, p.rateLimit.window).filter((h) => h.pipeline === req.pipeline).length +
    (ctx.inFlight ?? []).filter((f) => f.pipeline === req.pipeline && f.holder !== req.incidentId).length;
  if (inWindow >= p.rateLimit.maxActions) {
    deny('rate-limit', `${inWindow} remediation(s) in pipeline ${req.pipeline} within ${secs(p.rateLimit.window)} (limit ${p.rateLimit.maxActions})`);
  }

  const repeats = recent(ctx, p.loopDetection.window).filter((h) => h.resource === resource && h.action === req.action).length;
  if (repeats >= p.loopDetection.maxRepeats) {
    deny('loop', `${req.action} already ran ${repeats} time(s) on ${resource} within ${secs(p.loopDetection.window)}: loop detected, escalate to a human`);
  }

  for (const w of [...ctx.policy.global.freezeWindows, ...p.freezeWindows]) {
    if (freezeWindowActive(w, req.action, ctx.now)) {
      out.push({ rule: 'freeze', effect: w.effect, reason: `change freeze "${w.name}" is in effect (${w.effect})` });
    }
  }
  return out;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function secs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The safety verdict for one proposed action. */
export function evaluateSafety(req: SafetyRequest, ctx: SafetyContext): SafetyDecision {
  if (isAlwaysAllowed(req.action)) {
    return { verdict: 'allow', reasons: [`${req.action} is always allowed`], findings: [], approverRoles: [] };
  }
  const pipeline = findPipeline(ctx.policy, req.pipeline);
  if (!pipeline) {
    const reason = `pipeline ${req.pipeline} is not in the policy: only escalate and log-and-wait are allowed`;
    return { verdict: 'deny', reasons: [reason], findings: [{ rule: 'pipeline', effect: 'deny', reason }], approverRoles: [] };
  }
  const component = findComponent(pipeline, req.component);
  const resource = req.resource ?? resourceOf(req.pipeline, req.component);
  const findings: SafetyFinding[] = [];

  if (!component) {
    findings.push({ rule: 'pipeline', effect: 'deny', reason: `component ${req.component} is not declared in pipeline ${req.pipeline}` });
  }
  // The ladder always ends in escalate, which returned above; anything else must be listed.
  if (!repairLadder(pipeline, req.faultClass).includes(req.action)) {
    findings.push({ rule: 'allowlist', effect: 'deny', reason: `${req.action} is not an allowed repair for ${req.faultClass} in pipeline ${req.pipeline}` });
  }
  findings.push(...limitFindings(req, resource, pipeline, ctx));

  const approvalRoles = new Set<string>();
  for (const m of matchApprovalRules(pipeline, { action: req.action, fault: req.faultClass, severity: req.severity, tags: component?.sensitivity ?? [] })) {
    findings.push({ rule: 'approval', effect: 'require-approval', reason: m.reason });
    m.roles.forEach((r) => approvalRoles.add(r));
  }
  if (req.forceApproval) findings.push({ rule: 'approval', effect: 'require-approval', reason: 'an operator asked for approval' });

  const denials = findings.filter((f) => f.effect === 'deny');
  const needs = findings.filter((f) => f.effect === 'require-approval');
  const roles = approvalRoles.size > 0 ? [...approvalRoles].sort() : [...pipeline.approval.approverRoles];
  if (denials.length > 0) return { verdict: 'deny', reasons: findings.map((f) => f.reason), findings, approverRoles: [] };
  if (needs.length === 0) return { verdict: 'allow', reasons: ['every safety rule passed'], findings, approverRoles: [] };

  if (req.approvedBy !== undefined) {
    const auth = authoriseApprover(ctx.policy, req.pipeline, req.approvedBy, roles);
    if (auth.ok) {
      return { verdict: 'allow', reasons: [...needs.map((f) => f.reason), `approved by ${req.approvedBy}`], findings, approverRoles: [] };
    }
    const reason = `approval by ${req.approvedBy} does not count: ${auth.reason}`;
    return { verdict: 'require-approval', reasons: [...needs.map((f) => f.reason), reason], findings, approverRoles: roles };
  }
  return { verdict: 'require-approval', reasons: needs.map((f) => f.reason), findings, approverRoles: roles };
}
