/**
 * Verification of signed operator decisions inside the incident workflow (update validators and
 * signal handlers), and the sink through which the worker writes every attempt — accepted or
 * refused — to the audit log of its knowledge base. Deterministic: the workflow clock, the keys
 * snapshot the plan activity returned (in history), and pure Ed25519 code.
 *
 * Verifying issues no command: a refused update never enters history, a refused signal only adds
 * a timeline note, and a sink call is not replayed. Refusal reasons never list who could decide.
 */
import * as wf from '@temporalio/workflow';
import { MAX_SIGNATURE_LIFETIME_MS, malformed, signatureValid, type DecisionKind, type DecisionProof } from '../common/decision-signature';
import type { Incident } from './incident-state';

export interface DecisionAttempt {
  decision: DecisionKind;
  identity: string;
  reason?: string;
  planId?: string;
  proof?: unknown;
}

/** One decision attempt as the audit log records it. */
export interface DecisionAuditRecord {
  incidentId: string;
  runId: string;
  decision: DecisionKind;
  identity: string;
  via: 'update' | 'signal';
  outcome: 'accepted' | 'refused';
  reason?: string;
  refusal?: string;
  planId?: string;
  publicKey?: string;
  nonce?: string;
  at: string;
}

export interface DecisionAuditSinks extends wf.Sinks {
  decisionAudit: { attempt(record: DecisionAuditRecord): void };
}

const sinks = wf.proxySinks<DecisionAuditSinks>();

export function auditAttempt(inc: Incident, a: DecisionAttempt, via: DecisionAuditRecord['via'], refusal: string | undefined): void {
  const proof = malformed(a.proof) ? undefined : (a.proof as DecisionProof);
  sinks.decisionAudit.attempt({
    incidentId: inc.id,
    runId: inc.runId,
    decision: a.decision,
    identity: a.identity,
    via,
    outcome: refusal ? 'refused' : 'accepted',
    ...(a.reason ? { reason: a.reason } : {}),
    ...(refusal ? { refusal } : {}),
    ...(proof ? { planId: proof.planId, publicKey: proof.publicKey, nonce: proof.nonce } : a.planId ? { planId: a.planId } : {}),
    at: new Date().toISOString(),
  });
}

/** Why a signed decision must be refused, or undefined when its signature holds. */
export function signatureRefusal(inc: Incident, a: DecisionAttempt): string | undefined {
  const bad = malformed(a.proof);
  if (bad) return `${a.decision} refused: ${bad === 'no signature' ? 'unsigned decisions are not accepted (sign with npx homeostat keys create)' : bad}`;
  const proof = a.proof as DecisionProof;
  if (typeof a.identity !== 'string' || a.identity === '') return `${a.decision} refused: no identity`;
  if (proof.runId !== inc.runId) return `${a.decision} refused: the signature is for another run of ${inc.id}`;
  if (a.planId !== undefined && a.planId !== proof.planId) return `${a.decision} refused: the signed plan ${proof.planId} differs from the plan named (${a.planId})`;
  const expires = Date.parse(proof.expiresAt);
  const now = Date.now();
  if (expires <= now) return `${a.decision} refused: the signature expired at ${proof.expiresAt}`;
  if (expires - now > MAX_SIGNATURE_LIFETIME_MS) return `${a.decision} refused: the signature is valid for longer than 24 h`;
  if (inc.nonces.has(proof.nonce)) return `${a.decision} refused: this signed decision was already used (replayed nonce)`;
  const trust = inc.current?.trust ?? inc.lastTrust;
  if (!trust) return `${a.decision} refused: incident ${inc.id} has no plan yet, so no approver keys to check against (stage ${inc.state.stage})`;
  // One answer for an unknown identity, one without keys here and a key not registered: a refusal must not tell who could decide.
  const keys = trust.keys[a.identity];
  if (!keys || !keys.includes(proof.publicKey)) return `${a.decision} refused: "${a.identity}" with this key may not decide on this incident`;
  const claim = { decision: a.decision, identity: a.identity, incidentId: inc.id, runId: proof.runId, planId: proof.planId, reason: a.reason ?? '', expiresAt: proof.expiresAt, nonce: proof.nonce };
  if (!signatureValid(proof, claim)) return `${a.decision} refused: the signature does not verify`;
  if (a.decision === 'abort') {
    const planNow = inc.state.plan?.planId ?? '';
    if (proof.planId !== '' && proof.planId !== planNow) return `abort refused: the signature names plan ${proof.planId}, the incident's plan is ${planNow || 'none yet'}`;
    return undefined;
  }
  const current = inc.current;
  if (!inc.state.awaitingApproval || !current) return `${a.decision} refused: incident ${inc.id} is not waiting for an approval (stage ${inc.state.stage})`;
  if (!current.approvers.includes(a.identity)) return `${a.decision} refused: "${a.identity}" with this key may not decide on this plan`;
  if (proof.planId !== current.plan.planId) return `${a.decision} refused: the signature names plan ${proof.planId}, but the pending plan is ${current.plan.planId}`;
  if (current.plan.expiresAt && now > Date.parse(current.plan.expiresAt)) return `${a.decision} refused: plan ${current.plan.planId} expired at ${current.plan.expiresAt}`;
  return undefined;
}

/** Marks the signature's nonce used: the same signed payload never counts twice. */
export function consumeNonce(inc: Incident, a: DecisionAttempt): void {
  if (!malformed(a.proof)) inc.nonces.add((a.proof as DecisionProof).nonce);
}
