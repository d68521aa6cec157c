/**
 * The activities the incident workflow calls, as types only. The workflow imports this file
 * with `import type`; implementations live in activities/*.ts and are built by
 * `createActivities(deps)` at worker start-up.
 */
import type { FaultClass, Layer, Mode, RepairAction, Severity, UNKNOWN_FAULT, Verdict } from '../policies/taxonomy';
import type { AttemptRecord, Evidence, Explanation, IncidentTiming, IncidentTrigger, Outcome, PlanSummary } from '../workflows/shared';
import type { VerificationSchedule, VerificationTrace } from '../policies/verification';
import type { ProbeName } from './templates/template';
import type { TrustSnapshot } from '../policies/keys';

export interface DiagnoseInput {
  incidentId: string;
  pipeline: string;
  component: string;
  trigger: IncidentTrigger;
  evidence: Evidence[];
  faultHint?: FaultClass;
  severityHint?: Severity;
}

export interface Diagnosis {
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  layer: Layer | 'unknown';
  severity: Severity;
  /** Minimal set of anomalous upstream components that explains the anomaly. */
  rootCauses: string[];
  similarCases: { component: string; action: RepairAction; outcome: string; similarity: number }[];
  /** One sentence for the explanation's `cause`. */
  summary: string;
  sensitivity: string[];
  /**
   * The upstream component where the root cause lies, when it is not this one and the fault is
   * not this component's own (a crash, an OOM kill…): the incident hands over to that
   * component's incident instead of repairing here.
   */
  handOverTo?: string;
  /**
   * Set when the source that opened the incident may not open incidents that act (the policy's
   * `sources.<name>.openIncidents: false`): the reason, and the incident runs in shadow mode.
   */
  shadowOnly?: string;
}

export interface HandOverInput {
  /** The incident handing over. */
  incidentId: string;
  pipeline: string;
  /** The component whose incident hands over. */
  from: string;
  /** The root-cause component that receives the incident. */
  to: string;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  evidence: Evidence[];
  timing?: Partial<IncidentTiming>;
}

export interface HandOverResult {
  /** Workflow id of the receiving incident. */
  incidentId: string;
  /** Set when that incident had just healed (the fault is repaired): it was not started again. */
  coveredByHealAt?: string;
}

export interface PlanInput {
  incidentId: string;
  pipeline: string;
  component: string;
  diagnosis: Diagnosis;
  /** Actions already tried on this incident's escalation ladder. */
  exclude: RepairAction[];
  attempt: number;
  requestedMode?: Mode;
  forceApproval?: boolean;
}

export type SafetyVerdict = 'allow' | 'deny' | 'require-approval';

export interface PlanResult {
  plan: PlanSummary;
  verdict: SafetyVerdict;
  mode: Mode;
  /** Identities allowed to approve this plan (validated inside the workflow, before history). */
  approvers: string[];
  approvalTimeoutMs: number;
  /** The fixed wait before the probes of incidents started before the verify-until-stable patch. */
  settleMs: number;
  /** Probe until this many rounds pass in a row or the deadline passes (absent in plans made before it existed). */
  verification?: VerificationSchedule;
  probes: ProbeName[];
  maxAttempts: number;
  /** Public keys of the identities covering the pipeline, at planning time: the workflow verifies signed decisions with them. */
  trust?: TrustSnapshot;
  /** What the incident's starter asked for that the policy overrode (a stricter setting always wins). */
  overridden?: string[];
}

export interface RevalidateInput {
  incidentId: string;
  pipeline: string;
  component: string;
  faultClass: string;
  severity: Severity;
  plan: PlanSummary;
  mode: Mode;
  /** Identity that approved this very plan, when it was approved. */
  approvedBy?: string;
}

export interface RevalidateResult {
  verdict: SafetyVerdict;
  reasons: string[];
  /** Fencing token of the remediation lease on the target resource. */
  leaseToken?: number;
}

export interface ExecuteInput {
  incidentId: string;
  /**
   * First run id of this incident's execution chain (stable across continue-as-new). Workflow
   * ids repeat when a component fails again later; the run id keeps idempotency keys distinct.
   */
  runId: string;
  pipeline: string;
  target: string;
  faultClass: string;
  action: RepairAction;
  attempt: number;
  mode: Mode;
  /** Fencing token of the remediation lease re-validation granted; without one nothing that changes anything runs. */
  leaseToken?: number;
  /**
   * When the incident's first anomalous evidence was observed (epoch ms). Repairs that learn from
   * recent data (retraining) use only what was labelled after it: before it, the data followed
   * the concept the fault replaced.
   */
  anomalySince?: number;
}

export interface ReleaseLeaseInput {
  incidentId: string;
  pipeline: string;
  target: string;
  leaseToken?: number;
}

export interface ExecuteResult {
  summary: string;
  impact: Record<string, number | string | boolean>;
  alreadyApplied: boolean;
  /** In shadow mode nothing runs: this records what would have been done. */
  shadow: boolean;
}

export interface VerifyInput {
  incidentId: string;
  pipeline: string;
  component: string;
  action: RepairAction;
  probes: ProbeName[];
  /** The remediation lease the verified repair holds until verification ends: renewed before probing. */
  lease?: { target: string; token: number };
}

/** What one verification probe found. */
export interface ProbeOutcome {
  /** The probe (`none` when the repair declares none). */
  name: string;
  result: Verdict;
  /** What it saw, in words an operator reads in the explanation. */
  detail: string;
}

export interface VerifyResult {
  result: Verdict;
  probes: ProbeOutcome[];
}

export interface VerifyUntilStableInput extends VerifyInput {
  schedule: VerificationSchedule;
}

/** The verdict (with the probes of the round that decided it) and how the rounds went. */
export interface VerifyUntilStableResult extends VerifyResult {
  trace: VerificationTrace;
}

export interface EscalateInput {
  incidentId: string;
  /**
   * First run id of the incident's execution chain: with the workflow id it makes the
   * escalation's idempotency key, unique per incident (workflow ids repeat per component).
   * Absent in inputs recorded before it existed.
   */
  runId?: string;
  pipeline: string;
  component: string;
  reason: string;
  explanation: Explanation;
}

export interface EscalateResult {
  delivered: boolean;
  detail: string;
}

export interface LearnInput {
  incidentId: string;
  /** First run id of the incident's execution chain: learning is keyed by it (once per incident run). */
  runId?: string;
  pipeline: string;
  component: string;
  faultClass: string;
  severity: Severity;
  mode: Mode;
  action: RepairAction | null;
  /** In shadow mode: the action that would have been taken. */
  wouldDo: RepairAction | null;
  outcome: Outcome;
  plan?: PlanSummary;
  /** Who approved the plan, if anyone. */
  approvedBy?: string;
  evidence: Evidence[];
  explanation: Explanation;
  timings: { openedAt: string; detectedAt: string; mitigatedAt?: string; closedAt: string; firstAnomalyAt: string };
  attempts: AttemptRecord[];
}

export interface IncidentActivities {
  diagnose(input: DiagnoseInput): Promise<Diagnosis>;
  plan(input: PlanInput): Promise<PlanResult>;
  revalidate(input: RevalidateInput): Promise<RevalidateResult>;
  execute(input: ExecuteInput): Promise<ExecuteResult>;
  releaseLease(input: ReleaseLeaseInput): Promise<void>;
  verify(input: VerifyInput): Promise<VerifyResult>;
  /** Probes at once and until `schedule.passesInARow` rounds pass in a row or its deadline passes (heartbeats per round). */
  verifyUntilStable(input: VerifyUntilStableInput): Promise<VerifyUntilStableResult>;
  escalate(input: EscalateInput): Promise<EscalateResult>;
  handOver(input: HandOverInput): Promise<HandOverResult>;
  learn(input: LearnInput): Promise<void>;
}
