/**
 * Every message, query, search attribute and task-queue name of the incident workflow, in one
 * place. Clients (CLI, sentinel, demo) and the workflow import these definitions; no string is
 * repeated elsewhere.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Diagnosis, PlanResult } from '../activities/contracts';
import type { DecisionProof } from '../common/decision-signature';
import type { TrustSnapshot } from '../policies/keys';
import type { FaultClass, Layer, Mode, RepairAction, Severity, UNKNOWN_FAULT, Verdict } from '../policies/taxonomy';

export const TASK_QUEUE = 'homeostat-incidents';
export const INCIDENT_WORKFLOW_TYPE = 'incidentWorkflow';

/** One incident per component: duplicate anomalies land on the same workflow id. */
export function incidentWorkflowId(pipeline: string, component: string): string {
  return `incident/${pipeline}/${component}`;
}

export const STAGES = ['detect', 'diagnose', 'plan', 'approve', 'execute', 'verify', 'learn', 'closed'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * `handed-over`: diagnosis found the root cause upstream, on a component with its own incident;
 * this one passed its evidence there and closed, so one fault gets one repair.
 */
export const OUTCOMES = ['healed', 'escalated', 'rejected', 'aborted', 'shadowed', 'resolved-itself', 'handed-over'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const SearchAttributes = {
  pipeline: defineSearchAttributeKey('HealPipeline', SearchAttributeType.KEYWORD),
  component: defineSearchAttributeKey('HealComponent', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('HealStage', SearchAttributeType.KEYWORD),
  faultClass: defineSearchAttributeKey('HealFaultClass', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('HealSeverity', SearchAttributeType.KEYWORD),
  action: defineSearchAttributeKey('HealAction', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('HealOutcome', SearchAttributeType.KEYWORD),
  mode: defineSearchAttributeKey('HealMode', SearchAttributeType.KEYWORD),
  awaitingApproval: defineSearchAttributeKey('HealAwaitingApproval', SearchAttributeType.BOOL),
} as const;

/** Name → type, for registering the attributes on a server (`temporal operator search-attribute create`). */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Bool'> = Object.fromEntries(
  Object.values(SearchAttributes).map((k) => [k.name, k.type === SearchAttributeType.BOOL ? 'Bool' : 'Keyword']),
);

/** A piece of evidence: a later anomaly on the same component, or the opening one. */
export interface Evidence {
  /**
   * Stable id of the action that sent it, when its sender can repeat a send (the sentinel: the
   * telemetry record's position): a sender that cannot tell whether a send arrived looks for it
   * in the incident's history instead of sending it again.
   */
  id?: string;
  /** ISO-8601 time the anomaly was observed. */
  at: string;
  /** Who produced it: `sentinel`, `alertmanager`, `operator`, `drill`… */
  source: string;
  summary: string;
  /** Where it was observed, when that is not the incident's own component (a hand-over). */
  component?: string;
  layer?: Layer;
  faultHint?: FaultClass;
  health?: number;
  /** Standardised detector scores a_{t,i} in [0, 1], by detector name. */
  anomalyVector?: Record<string, number>;
  detectors?: { name: string; score: number; detail?: string }[];
  /** A few offending records, as JSON. */
  samples?: unknown[];
  /** A crash, OOM kill, hang or schema change: opens a new incident when the last one has closed. */
  hardFault?: boolean;
  /**
   * The anomaly has lasted well past the incident opened for it: when that incident has closed
   * (escalated, or healed while something else broke), this evidence opens a new one instead of
   * being dropped.
   */
  persistent?: boolean;
}

export interface IncidentTrigger {
  kind: 'health' | 'hard-fault' | 'alert' | 'manual' | 'drill' | 'hand-over';
  detail: string;
  at: string;
}

export interface IncidentInput {
  pipeline: string;
  component: string;
  trigger: IncidentTrigger;
  evidence: Evidence[];
  faultClass?: FaultClass;
  severity?: Severity;
  /** Force the approval step, whatever the policy says (operator-opened incidents). */
  requireApproval?: boolean;
  /** Overrides the policy's mode for this incident. */
  mode?: Mode;
  /** Test and demo knobs: shorter settle window and approval timeout. */
  timing?: Partial<IncidentTiming>;
  /** State carried across continue-as-new. */
  carried?: CarriedIncidentState;
}

export interface IncidentTiming {
  /** How long to wait for a human approval before escalating. */
  approvalTimeoutMs: number;
  /** How long to let a repair settle before probing. */
  settleMs: number;
  /** How long detect waits for the anomaly to persist. */
  confirmMs: number;
  /** Continue-as-new once the history holds more events than this. */
  maxHistoryEvents?: number;
  /** Heartbeat timeout of the execute activity (default 30 s): how soon a dead worker's repair is retried. */
  heartbeatTimeoutMs?: number;
  /** First wait before an undelivered escalation is tried again (default 60 s, doubling to 15 min). */
  redeliveryMs?: number;
}

export const DEFAULT_TIMING: IncidentTiming = {
  approvalTimeoutMs: 60 * 60 * 1000,
  settleMs: 5_000,
  confirmMs: 0,
};

export interface Approval {
  approver: string;
  reason?: string;
  /** The plan the approver saw; an approval for an older plan is refused. */
  planId?: string;
  /** The approver's Ed25519 signature over the decision (common/decision-signature.ts); required in new runs. */
  proof?: DecisionProof;
}

export interface Rejection {
  approver: string;
  reason?: string;
  planId?: string;
  proof?: DecisionProof;
}

export interface AbortRequest {
  by: string;
  reason?: string;
  proof?: DecisionProof;
}

export interface Explanation {
  trigger: string;
  evidence: string;
  cause: string;
  action: string;
  impact: string;
  verification: string;
}

export interface TimelineEntry {
  at: string;
  stage: Stage;
  event: string;
  detail?: string;
}

export interface IncidentState {
  id: string;
  pipeline: string;
  component: string;
  stage: Stage;
  mode: Mode;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  severity: Severity;
  awaitingApproval: boolean;
  plan?: PlanSummary;
  approvals: Approval[];
  attempts: number;
  outcome: Outcome | null;
  evidenceCount: number;
  explanation: Explanation;
}

export interface PlanSummary {
  planId: string;
  action: RepairAction;
  target: string;
  requiresApproval: boolean;
  reasons: string[];
  /** When an approval for this plan stops being accepted (ISO-8601). */
  expiresAt?: string;
  alternatives: { action: RepairAction; score: number; reason?: string }[];
}

export interface CarriedIncidentState {
  state: IncidentState;
  timeline: TimelineEntry[];
  evidence: Evidence[];
  ladderTried: RepairAction[];
  attempts: AttemptRecord[];
  marks: IncidentMarks;
  diagnosis?: Diagnosis;
  /** A plan still waiting for its approval when the run continued as new. */
  pendingPlan?: PlanResult;
  /** Who aborted the incident, when the abort arrived before the run continued as new. */
  abortedBy?: string;
  /** Repairs of earlier rungs that failed, as the explanation's impact states them. */
  earlierImpacts?: string[];
  /** Nonces of signed decisions already accepted: a replayed one is refused in later runs too. */
  nonces?: string[];
  /** The latest keys snapshot a plan brought (verifies aborts between plans). */
  lastTrust?: TrustSnapshot;
}

/** One rung run during an incident, with what its verification found. */
export interface AttemptRecord {
  action: RepairAction;
  verify: Verdict | 'skipped';
  /** From the end of the repair to the verdict (ms); set by the until-stable verification. */
  verifyMs?: number;
  /** Probe rounds that verification ran. */
  probeRounds?: number;
  /** Times a passing round was followed by a failing one. */
  flaps?: number;
}

/** Times that feed TTD / MTTM / MTTR. */
export interface IncidentMarks {
  firstAnomalyAt: string;
  openedAt: string;
  detectedAt: string;
  mitigatedAt?: string;
}

export const evidenceSignal = defineSignal<[Evidence]>('evidence');
export const approveSignal = defineSignal<[Approval]>('approve');
export const rejectSignal = defineSignal<[Rejection]>('reject');
export const abortSignal = defineSignal<[AbortRequest]>('abort');
export const approveUpdate = defineUpdate<IncidentState, [Approval]>('approve');
export const rejectUpdate = defineUpdate<IncidentState, [Rejection]>('reject');
export const stateQuery = defineQuery<IncidentState>('state');
export const explanationQuery = defineQuery<Explanation>('explanation');
export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');
