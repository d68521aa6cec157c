/**
 * Keeps an incident's state, timeline, evidence and explanation, and mirrors every change to
 * where operators look: search attributes (Web UI filters), the memo (explanation summary)
 * and the current-details text. Workflow code: deterministic, no I/O.
 */
import * as wf from '@temporalio/workflow';
import type { Diagnosis, ExecuteResult, LearnInput, PlanResult, VerifyResult } from '../activities/contracts';
import type { FaultClass, RepairAction } from '../policies/taxonomy';
import type { VerificationTrace } from '../policies/verification';
import {
  SearchAttributes,
  type CarriedIncidentState,
  type Evidence,
  type Explanation,
  type IncidentInput,
  type IncidentMarks,
  type IncidentState,
  type Outcome,
  type Stage,
  type TimelineEntry,
} from './shared';

function describeTrace(t: VerificationTrace): string {
  const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  return `${t.rounds} probe round(s) in ${secs(t.verifyMs)}, ${t.passesInARow} passes in a row needed within ${secs(t.deadlineMs)} (${t.basis})${t.flaps > 0 ? `; flapped ${t.flaps} time(s)` : ''}`;
}

/** What each part of the explanation says before the incident has anything to say about it. */
const OPENING = { cause: 'under diagnosis', action: 'none yet', impact: 'none yet', verification: 'not yet run' } as const;

/** Evidence kept in full: the first few (how it started) and the most recent. */
const EVIDENCE_HEAD = 5;
const EVIDENCE_TAIL = 45;

export class IncidentRecorder {
  private constructor(
    readonly state: IncidentState,
    readonly timeline: TimelineEntry[],
    readonly evidence: Evidence[],
    readonly ladderTried: RepairAction[],
    readonly attempts: LearnInput['attempts'],
    readonly marks: IncidentMarks,
  ) {}

  /** What earlier rungs of the ladder left behind (a repair that failed): kept in the impact of later ones. */
  readonly earlierImpacts: string[] = [];

  static create(workflowId: string, input: IncidentInput): IncidentRecorder {
    const c = input.carried;
    if (c) {
      const rec = new IncidentRecorder(c.state, c.timeline, c.evidence, c.ladderTried, c.attempts, c.marks);
      rec.earlierImpacts.push(...(c.earlierImpacts ?? []));
      rec.note(c.state.stage, 'resumed after continue-as-new');
      rec.syncSearchAttributes();
      return rec;
    }
    const now = new Date().toISOString();
    const firstAnomalyAt = input.evidence[0]?.at ?? input.trigger.at;
    const state: IncidentState = {
      id: workflowId,
      pipeline: input.pipeline,
      component: input.component,
      stage: 'detect',
      mode: input.mode ?? 'active',
      faultClass: input.faultClass ?? 'unknown',
      severity: input.severity ?? 'medium',
      awaitingApproval: false,
      approvals: [],
      attempts: 0,
      outcome: null,
      evidenceCount: input.evidence.length,
      explanation: {
        trigger: `${input.trigger.kind}: ${input.trigger.detail} (at ${input.trigger.at})`,
        evidence: summariseEvidence(input.evidence, input.evidence.length),
        ...OPENING,
      },
    };
    const rec = new IncidentRecorder(state, [], [...input.evidence], [], [], {
      firstAnomalyAt,
      openedAt: now,
      detectedAt: now,
    });
    return rec;
  }

  stage(stage: Stage, detail?: string): void {
    this.state.stage = stage;
    this.note(stage, `stage ${stage}`, detail);
    this.syncSearchAttributes();
    this.publish();
  }

  note(stage: Stage, event: string, detail?: string): void {
    this.timeline.push({ at: new Date().toISOString(), stage, event, ...(detail ? { detail } : {}) });
  }

  addEvidence(e: Evidence): void {
    // signalWithStart delivers the opening evidence twice (input and signal): count it once.
    if (this.evidence.some((x) => x.at === e.at && x.source === e.source && x.summary === e.summary)) return;
    this.state.evidenceCount += 1;
    this.evidence.push(e);
    if (this.evidence.length > EVIDENCE_HEAD + EVIDENCE_TAIL) this.evidence.splice(EVIDENCE_HEAD, 1);
    this.state.explanation.evidence = summariseEvidence(this.evidence, this.state.evidenceCount);
    this.note(this.state.stage, 'evidence', `${e.source}: ${e.summary}`);
  }

  /** The evidence received after the first `count` pieces (as far as the kept tail reaches). */
  evidenceSince(count: number): Evidence[] {
    const n = Math.min(this.state.evidenceCount - count, this.evidence.length);
    return n > 0 ? this.evidence.slice(this.evidence.length - n) : [];
  }

  /** The latest hard fault received after the first `count` pieces of evidence that names a class other than `faultClass`. */
  newHardFault(count: number, faultClass: string): (Evidence & { faultHint: FaultClass }) | undefined {
    const later = this.evidenceSince(count);
    for (let i = later.length - 1; i >= 0; i--) {
      const e = later[i]!;
      if (e.hardFault && e.faultHint && e.faultHint !== faultClass) return e as Evidence & { faultHint: FaultClass };
    }
    return undefined;
  }

  diagnosed(d: Diagnosis): void {
    this.state.faultClass = d.faultClass;
    this.state.severity = d.severity;
    const roots = d.rootCauses.length > 0 ? `; root-cause candidates: ${d.rootCauses.join(', ')}` : '';
    const similar = d.similarCases.length > 0 ? `; ${d.similarCases.length} similar past case(s)` : '';
    this.explain({ cause: `${d.faultClass} (${d.layer} layer, ${d.severity}): ${d.summary}${roots}${similar}` });
    this.note('diagnose', 'diagnosed', `${d.faultClass}, severity ${d.severity}`);
    this.syncSearchAttributes();
  }

  planned(p: PlanResult): void {
    this.state.plan = p.plan;
    this.state.mode = p.mode;
    const alternatives = p.plan.alternatives.map((a) => `${a.action} (${a.score.toFixed(3)})`).join(', ');
    this.explain({
      action: `plan ${p.plan.action} on ${p.plan.target} [${p.verdict}]${alternatives ? `; alternatives: ${alternatives}` : ''}; ${p.plan.reasons.join('; ')}`,
    });
    this.note('plan', `planned ${p.plan.action}`, `safety: ${p.verdict}; mode: ${p.mode}`);
    this.syncSearchAttributes();
  }

  awaitApproval(p: PlanResult): void {
    this.state.awaitingApproval = true;
    this.stage('approve', `waiting for one of ${p.approvers.join(', ') || '(no approver configured)'} until ${p.plan.expiresAt ?? 'timeout'}`);
  }

  executed(action: RepairAction, r: ExecuteResult): void {
    this.state.attempts += 1;
    if (!r.shadow && !this.marks.mitigatedAt) this.marks.mitigatedAt = new Date().toISOString();
    const approvedBy = this.state.approvals.map((a) => a.approver);
    this.explain({
      action: `${r.shadow ? 'would run' : 'ran'} ${action} on ${this.state.plan?.target ?? this.state.component}${approvedBy.length ? ` (approved by ${approvedBy.join(', ')})` : ''}: ${r.summary}${this.state.plan?.reasons.length ? `; chosen because: ${this.state.plan.reasons.join('; ')}` : ''}`,
      impact: [...this.earlierImpacts, `${formatImpact(r.impact)}${r.alreadyApplied ? ' (already applied by an earlier attempt; not repeated)' : ''}`].join('; '),
    });
    this.note('execute', `${action} ${r.shadow ? 'recorded (shadow)' : 'done'}`, r.summary);
  }

  /** `trace`: how the until-stable verification went (absent on the settle-then-probe path). */
  verified(action: RepairAction, v: VerifyResult, trace?: VerificationTrace): void {
    this.attempts.push({ action, verify: v.result, ...(trace ? { verifyMs: trace.verifyMs, probeRounds: trace.rounds, flaps: trace.flaps } : {}) });
    const probes = v.probes.map((p) => `${p.name}=${p.result} (${p.detail})`).join('; ');
    const how = trace ? ` (${describeTrace(trace)})` : '';
    this.explain({ verification: `${action}: ${v.result}${how}${probes ? ` — ${probes}` : ''}` });
    this.note('verify', `verification ${v.result}`, `${trace ? `${describeTrace(trace)}; ` : ''}${probes}`);
  }

  /** Is this part still what create() wrote before the incident had anything to say? */
  isPlaceholder(part: keyof typeof OPENING): boolean {
    return this.state.explanation[part] === OPENING[part];
  }

  /**
   * A closed incident's explanation says what happened in every part: parts never reached are
   * stated as such instead of keeping the opening placeholders. Mutates without publishing (no
   * new command: the next stage() publishes), so recorded histories still replay.
   */
  closeExplanation(outcome: Outcome): void {
    const e = this.state.explanation;
    const why = `the incident closed ${outcome} before`;
    if (this.isPlaceholder('cause')) e.cause = `not diagnosed: ${why} diagnosis`;
    if (this.isPlaceholder('action')) e.action = `none: ${why} any repair was planned`;
    if (this.isPlaceholder('impact')) e.impact = 'none: no repair was executed';
    if (this.isPlaceholder('verification')) e.verification = 'not run: no repair was executed';
  }

  /** A rung that failed: said in the impact now, and kept there when a later rung runs. */
  rungFailed(text: string): void {
    this.earlierImpacts.push(text);
    this.appendImpact(text);
  }

  /** Adds to the explanation's impact (or replaces its opening placeholder). */
  appendImpact(text: string): void {
    const before = this.isPlaceholder('impact') ? '' : `${this.state.explanation.impact}; `;
    this.explain({ impact: `${before}${text}` });
  }

  explain(part: Partial<Explanation>): void {
    Object.assign(this.state.explanation, part);
    this.publish();
  }

  syncSearchAttributes(): void {
    const s = this.state;
    wf.upsertSearchAttributes([
      { key: SearchAttributes.pipeline, value: s.pipeline },
      { key: SearchAttributes.component, value: s.component },
      { key: SearchAttributes.stage, value: s.stage },
      { key: SearchAttributes.faultClass, value: s.faultClass },
      { key: SearchAttributes.severity, value: s.severity },
      { key: SearchAttributes.mode, value: s.mode },
      { key: SearchAttributes.awaitingApproval, value: s.awaitingApproval },
      ...(s.plan ? [{ key: SearchAttributes.action, value: s.plan.action }] : []),
      ...(s.outcome ? [{ key: SearchAttributes.outcome, value: s.outcome }] : []),
    ]);
  }

  /** What learn stores for this incident run (`runId`: the first run of its continue-as-new chain). */
  learnInput(outcome: Outcome, mode: IncidentState['mode'], runId: string): LearnInput {
    const s = this.state;
    const plannedAction = s.plan?.action ?? null;
    return {
      incidentId: s.id,
      runId,
      pipeline: s.pipeline,
      component: s.component,
      faultClass: s.faultClass,
      severity: s.severity,
      mode,
      action: mode === 'shadow' ? null : (this.attempts.at(-1)?.action ?? null),
      wouldDo: mode === 'shadow' ? plannedAction : null,
      outcome,
      plan: s.plan,
      ...(s.approvals.length > 0 ? { approvedBy: s.approvals[s.approvals.length - 1]!.approver } : {}),
      evidence: this.evidence,
      explanation: s.explanation,
      timings: { ...this.marks, closedAt: new Date().toISOString() },
      attempts: this.attempts,
    };
  }

  carry(): Omit<CarriedIncidentState, 'pendingPlan'> {
    return {
      state: this.state,
      timeline: this.timeline.slice(-200),
      evidence: this.evidence,
      ladderTried: this.ladderTried,
      attempts: this.attempts,
      marks: this.marks,
      ...(this.earlierImpacts.length > 0 ? { earlierImpacts: this.earlierImpacts } : {}),
    };
  }

  /** Memo and current details: what the Web UI shows without running a query. */
  private publish(): void {
    const s = this.state;
    wf.upsertMemo({ explanation: s.explanation, stage: s.stage, outcome: s.outcome, evidenceCount: s.evidenceCount });
    const e = s.explanation;
    wf.setCurrentDetails(
      [
        `**${s.pipeline}/${s.component}** — stage \`${s.stage}\`${s.awaitingApproval ? ' — **awaiting approval**' : ''}${s.outcome ? ` — outcome \`${s.outcome}\`` : ''}`,
        `- trigger: ${e.trigger}`,
        `- evidence: ${e.evidence}`,
        `- cause: ${e.cause}`,
        `- action: ${e.action}`,
        `- impact: ${e.impact}`,
        `- verification: ${e.verification}`,
      ].join('\n'),
    );
  }
}

function summariseEvidence(evidence: Evidence[], total: number): string {
  if (total === 0) return 'none';
  const last = evidence[evidence.length - 1];
  const sources = [...new Set(evidence.map((e) => e.source))].join(', ');
  const healths = evidence.map((e) => e.health).filter((h): h is number => typeof h === 'number');
  const worst = healths.length > 0 ? `; worst health ${Math.min(...healths).toFixed(3)}` : '';
  return `${total} observation(s) from ${sources}${worst}; latest: ${last ? last.summary : 'n/a'}`;
}

function formatImpact(impact: Record<string, number | string | boolean>): string {
  const parts = Object.entries(impact).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length > 0 ? parts.join(', ') : 'no measurable change recorded';
}
