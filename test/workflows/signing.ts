/**
 * Signing keys of the test approvers, derived from their names (the same in every process of a
 * test: a lab worker in its own process verifies with the same public keys), the keys file the
 * labs merge into their policy, and signed decision arguments for a running incident — made by
 * the same code the CLI signs with.
 */
import { createHash } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { signFor, type Signer } from '../../common/decision-keys';
import { publicKeyOf } from '../../common/decision-signature';
import type { KeysFile } from '../../policies/keys';
import type { AbortRequest, Approval, Rejection } from '../../workflows/shared';

export function testSigner(identity: string, generation = 0): Signer {
  const secretKey = Uint8Array.from(createHash('sha256').update(`homeostat-test-key:${identity}:${generation}`).digest());
  return { identity, secretKey, publicKey: publicKeyOf(secretKey) };
}

/** Identities the lab policies name (oncall-lead, backup-lead, intern) each have one key; mallory has one the policy never hears of. */
export const LAB_IDENTITIES = ['oncall-lead', 'backup-lead', 'intern'];

export function labKeys(identities: readonly string[] = LAB_IDENTITIES): KeysFile {
  return { approvers: identities.map((identity) => ({ identity, publicKeys: [testSigner(identity).publicKey] })) };
}

type Opts = { reason?: string; ttlMs?: number; signer?: Signer };

export async function signedApproval(handle: WorkflowHandle, identity: string, planId: string, o: Opts = {}): Promise<Approval> {
  return (await signFor(handle, o.signer ?? testSigner(identity), { decision: 'approve', planId, ...rest(o) })) as Approval;
}

export async function signedRejection(handle: WorkflowHandle, identity: string, planId: string, o: Opts = {}): Promise<Rejection> {
  return (await signFor(handle, o.signer ?? testSigner(identity), { decision: 'reject', planId, ...rest(o) })) as Rejection;
}

export async function signedAbort(handle: WorkflowHandle, identity: string, o: Opts & { planId?: string } = {}): Promise<AbortRequest> {
  return (await signFor(handle, o.signer ?? testSigner(identity), { decision: 'abort', planId: o.planId ?? '', ...rest(o) })) as AbortRequest;
}

function rest(o: Opts): { reason?: string; ttlMs?: number } {
  return { ...(o.reason !== undefined ? { reason: o.reason } : {}), ...(o.ttlMs !== undefined ? { ttlMs: o.ttlMs } : {}) };
}
