/**
 * The explicit state of one incident run, shared by the stages of the cycle, and the message
 * handlers that change it (approvals, rejections, aborts, evidence) or read it (queries).
 * Workflow code: deterministic, no I/O.
 */
import * as wf from '@temporalio/workflow';
import type { Diagnosis, PlanResult } from '../activities/contracts';
import type { TrustSnapshot } from '../policies/keys';
import { auditAttempt, consumeNonce, signatureRefusal, type DecisionAttempt } from './decisions';
import { PATCH_ABORT_SURVIVES_CONTINUE_AS_NEW, PATCH_SIGNED_DECISIONS } from './patches';
import { IncidentRecorder } from './recorder';
import {
  abortSignal,
  approveSignal,
  approveUpdate,
  DEFAULT_TIMING,
  evidenceSignal,
  explanationQuery,
  rejectSignal,
  rejectUpdate,
  stateQuery,
  timelineQuery,
  type Approval,
  type IncidentInput,
  type IncidentState,
  type IncidentTiming,
  type Rejection,
} from './shared';

/** Continue-as-new well before Temporal's own limits, carrying state and evidence. */
const DEFAULT_MAX_HISTORY_EVENTS = 8_000;

export interface Incident {
  readonly input: IncidentInput;
  /** The workflow id, `incident/<pipeline>/<component>`. */
  readonly id: string;
  /** First run id of the continue-as-new chain: with the id it names this incident in idempotency keys. */
  readonly runId: string;
  readonly timing: IncidentTiming;
  readonly rec: IncidentRecorder;
  readonly state: IncidentState;
  /** Operator decisions, set by the message handlers. */
  approval?: Approval;
  rejection?: Rejection;
  abortedBy?: string;
  /** The plan in force: made on this turn of the ladder, or carried while it waits for approval. */
  current?: PlanResult;
  diagnosis?: Diagnosis;
  /** Evidence count when the diagnosis was made: what came later may contradict it. */
  diagnosedAtEvidence: number;
  /** Fencing token of the lease re-validation granted for the repair in progress. */
  leaseToken?: number;
  /** Decisions must be signed (every run started after PATCH_SIGNED_DECISIONS). */
  readonly signed: boolean;
  /** Nonces of accepted signed decisions. */
  readonly nonces: Set<string>;
  /** The latest keys snapshot a plan brought. */
  lastTrust?: TrustSnapshot;
}

/** Starts (or resumes after continue-as-new) the incident and installs its message handlers. */
export function openIncident(input: IncidentInput): Incident {
  const info = wf.workflowInfo();
  // First, before any other command, so its marker sits at the same place in every new run.
  const signed = wf.patched(PATCH_SIGNED_DECISIONS);
  const rec = IncidentRecorder.create(info.workflowId, input);
  const inc: Incident = {
    input,
    id: info.workflowId,
    runId: info.firstExecutionRunId,
    timing: { ...DEFAULT_TIMING, ...input.timing },
    rec,
    state: rec.state,
    current: input.carried?.pendingPlan,
    diagnosis: input.carried?.diagnosis,
    diagnosedAtEvidence: rec.state.evidenceCount,
    signed,
    nonces: new Set(input.carried?.nonces ?? []),
    ...(input.carried?.lastTrust ? { lastTrust: input.carried.lastTrust } : {}),
  };
  const carriedAbort = input.carried?.abortedBy;
  if (carriedAbort !== undefined && wf.patched(PATCH_ABORT_SURVIVES_CONTINUE_AS_NEW)) inc.abortedBy = carriedAbort;
  installHandlers(inc);
  return inc;
}

export function historyTooLong(inc: Incident): boolean {
  const maxHistory = inc.input.timing?.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  return wf.workflowInfo().continueAsNewSuggested || wf.workflowInfo().historyLength > maxHistory;
}

/** Why an approval or rejection by `who` must be refused now, or undefined when it may pass. */
function refusal(inc: Incident, who: string, planId: string | undefined): string | undefined {
  const { state, current } = inc;
  if (!state.awaitingApproval || !current) return `incident ${inc.id} is not waiting for an approval (stage ${state.stage})`;
  if (!current.approvers.includes(who)) {
    return `"${who}" is not an authorised approver for pipeline ${state.pipeline} (authorised: ${current.approvers.join(', ') || 'none'})`;
  }
  if (planId !== undefined && planId !== current.plan.planId) {
    return `approval names plan ${planId}, but the pending plan is ${current.plan.planId}`;
  }
  if (current.plan.expiresAt && Date.now() > Date.parse(current.plan.expiresAt)) {
    return `plan ${current.plan.planId} expired at ${current.plan.expiresAt}`;
  }
  return undefined;
}

function installHandlers(inc: Incident): void {
  const { rec, state } = inc;
  wf.setHandler(evidenceSignal, (e) => rec.addEvidence(e));
  wf.setHandler(stateQuery, () => state);
  wf.setHandler(explanationQuery, () => state.explanation);
  wf.setHandler(timelineQuery, () => rec.timeline);

  const accept = (a: Approval): void => {
    inc.approval = a;
    state.approvals.push(a);
    rec.note('approve', 'approved', `by ${a.approver}${a.reason ? `: ${a.reason}` : ''}`);
  };
  const decline = (r: Rejection): void => {
    inc.rejection = r;
    rec.note('approve', 'rejected', `by ${r.approver}${r.reason ? `: ${r.reason}` : ''}`);
  };
  const stop = (by: string, reason: string | undefined): void => {
    inc.abortedBy = by;
    rec.note(state.stage, 'abort requested', `by ${by}${reason ? `: ${reason}` : ''}`);
  };
  const attemptOf = (decision: DecisionAttempt['decision'], x: { reason?: string; planId?: string; proof?: unknown }, identity: string): DecisionAttempt => ({
    decision,
    identity,
    ...(x.reason !== undefined ? { reason: x.reason } : {}),
    ...(x.planId !== undefined ? { planId: x.planId } : {}),
    ...(x.proof !== undefined ? { proof: x.proof } : {}),
  });
  /** Runs before anything enters history: an update refused here leaves no trace but the audit row. */
  const validate = (a: DecisionAttempt): void => {
    const why = inc.signed ? signatureRefusal(inc, a) : refusal(inc, a.identity, a.planId);
    if (why) {
      auditAttempt(inc, a, 'update', why);
      throw new Error(why);
    }
  };
  /** A signal cannot be refused before it enters history: a refused one is noted in the timeline and ignored. */
  const judgeSignal = (a: DecisionAttempt, legacy: () => string | undefined): boolean => {
    const why = inc.signed ? signatureRefusal(inc, a) : legacy();
    auditAttempt(inc, a, 'signal', why);
    if (why) {
      const ignored = a.decision === 'approve' ? 'approval ignored' : a.decision === 'reject' ? 'rejection ignored' : 'abort ignored';
      rec.note(state.stage, ignored, inc.signed ? `from "${a.identity}": ${why}` : why);
      return false;
    }
    consumeNonce(inc, a);
    return true;
  };
  const accepted = (a: DecisionAttempt): void => {
    consumeNonce(inc, a);
    auditAttempt(inc, a, 'update', undefined);
  };

  wf.setHandler(
    approveUpdate,
    (a) => {
      accepted(attemptOf('approve', a, a.approver));
      accept(a);
      return state;
    },
    { validator: (a) => validate(attemptOf('approve', a, a.approver)) },
  );
  wf.setHandler(
    rejectUpdate,
    (r) => {
      accepted(attemptOf('reject', r, r.approver));
      decline(r);
      return state;
    },
    // Unsigned (pre-patch) rejections never named a plan.
    { validator: (r) => validate(attemptOf('reject', inc.signed ? r : { ...r, planId: undefined }, r.approver)) },
  );
  wf.setHandler(approveSignal, (a) => {
    if (judgeSignal(attemptOf('approve', a, a.approver), () => refusal(inc, a.approver, a.planId))) accept(a);
  });
  wf.setHandler(rejectSignal, (r) => {
    if (judgeSignal(attemptOf('reject', r, r.approver), () => refusal(inc, r.approver, undefined))) decline(r);
  });
  wf.setHandler(abortSignal, (req) => {
    if (!inc.signed) return stop(req.by, req.reason);
    if (judgeSignal(attemptOf('abort', req, req.by), () => undefined)) stop(req.by, req.reason);
  });
}
