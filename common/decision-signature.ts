/**
 * Signed operator decisions (approve, reject, abort): the canonical message an approver signs
 * with their Ed25519 key, and its verification. Pure and deterministic — no Node built-ins, no
 * clock, no randomness — so the incident workflow verifies inside its sandbox (update validators
 * and signal handlers) with the same code the CLI signs with.
 *
 * The message binds everything a decision means: who decides, what (approve / reject / abort),
 * on which incident (workflow id and first run id, so a signature for an earlier incident on the
 * same component is worthless), on which plan, why, until when, and a nonce the workflow remembers
 * so the same signed payload cannot be sent twice.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/curves/utils';

export const DECISIONS = ['approve', 'reject', 'abort'] as const;
export type DecisionKind = (typeof DECISIONS)[number];

/** Public keys are written `ed25519:<64 hex digits>` in policy and keys files. */
export const PUBLIC_KEY_PREFIX = 'ed25519:';

/** The longest a signature may stay valid: a leaked payload must not approve tomorrow's plan. */
export const MAX_SIGNATURE_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** What the signer binds, besides the decision's own identity/reason fields. */
export interface DecisionProof {
  /** The signer's public key (`ed25519:<hex>`); it must be registered for the identity. */
  publicKey: string;
  /** First run id of the incident's continue-as-new chain. */
  runId: string;
  /** The plan decided on; `''` for an abort sent before any plan existed. */
  planId: string;
  /** ISO-8601; refused after this instant (workflow clock). */
  expiresAt: string;
  /** At least 16 hex digits of randomness, unique per decision. */
  nonce: string;
  /** 128 hex digits: Ed25519 over `decisionMessage(...)`. */
  signature: string;
}

export interface DecisionClaim {
  decision: DecisionKind;
  identity: string;
  incidentId: string;
  runId: string;
  planId: string;
  reason: string;
  expiresAt: string;
  nonce: string;
}

/** The exact bytes signed: a JSON array (fixed order, no key-order ambiguity), UTF-8 encoded. */
export function decisionMessage(c: DecisionClaim): Uint8Array {
  return utf8(JSON.stringify(['homeostat.decision.v1', c.decision, c.identity, c.incidentId, c.runId, c.planId, c.reason, c.expiresAt, c.nonce]));
}

export function signDecision(secretKey: Uint8Array, c: DecisionClaim): DecisionProof {
  return {
    publicKey: encodePublicKey(ed25519.getPublicKey(secretKey)),
    runId: c.runId,
    planId: c.planId,
    expiresAt: c.expiresAt,
    nonce: c.nonce,
    signature: bytesToHex(ed25519.sign(decisionMessage(c), secretKey)),
  };
}

export function encodePublicKey(raw: Uint8Array): string {
  return `${PUBLIC_KEY_PREFIX}${bytesToHex(raw)}`;
}

export function publicKeyOf(secretKey: Uint8Array): string {
  return encodePublicKey(ed25519.getPublicKey(secretKey));
}

export function isPublicKey(s: string): boolean {
  return new RegExp(`^${PUBLIC_KEY_PREFIX}[0-9a-f]{64}$`).test(s);
}

/** The proof's shape, checked field by field (it arrives from any client that reaches Temporal). */
export function malformed(p: unknown): string | undefined {
  if (typeof p !== 'object' || p === null) return 'no signature';
  const r = p as Record<string, unknown>;
  if (typeof r.publicKey !== 'string' || !isPublicKey(r.publicKey)) return 'malformed signature: publicKey must be ed25519:<64 hex digits>';
  if (typeof r.signature !== 'string' || !/^[0-9a-f]{128}$/.test(r.signature)) return 'malformed signature: signature must be 128 hex digits';
  if (typeof r.nonce !== 'string' || !/^[0-9a-f]{16,128}$/.test(r.nonce)) return 'malformed signature: nonce must be 16 to 128 hex digits';
  if (typeof r.runId !== 'string' || typeof r.planId !== 'string') return 'malformed signature: runId and planId are required';
  if (typeof r.expiresAt !== 'string' || Number.isNaN(Date.parse(r.expiresAt))) return 'malformed signature: expiresAt must be an ISO-8601 time';
  return undefined;
}

/** True when `proof.signature` is the proof key's signature over the claim. Never throws. */
export function signatureValid(proof: DecisionProof, c: DecisionClaim): boolean {
  try {
    return ed25519.verify(hexToBytes(proof.signature), decisionMessage(c), hexToBytes(proof.publicKey.slice(PUBLIC_KEY_PREFIX.length)));
  } catch {
    return false;
  }
}

/** UTF-8 without TextEncoder (not every sandbox has one). */
function utf8(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}
