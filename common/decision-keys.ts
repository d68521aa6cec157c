/**
 * The operator's side of signed decisions (Node only, never bundled into workflow code): key
 * pairs in the user's config directory, fresh nonces, and the signed approve / reject / abort
 * arguments for one incident. The CLI, the demo, the drills and the tests all sign through here,
 * so what they send is exactly what `--print-payload` shows.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/curves/utils';
import { z } from 'zod';
import type { AbortRequest, Approval, Rejection } from '../workflows/shared';
import { publicKeyOf, signDecision, type DecisionKind } from './decision-signature';
import { registerKey } from '../policies/keys';
import { HomeostatError } from './errors';

/** How long a signature stays valid by default: long enough to send it, short enough to be useless later. */
export const DEFAULT_DECISION_TTL_MS = 15 * 60 * 1000;

/** The user's config directory (XDG), where private keys live; HOMEOSTAT_CONFIG_DIR overrides it. */
export function configDir(): string {
  if (process.env.HOMEOSTAT_CONFIG_DIR) return process.env.HOMEOSTAT_CONFIG_DIR;
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'homeostat');
}

export function keyFile(identity: string): string {
  if (!/^[A-Za-z0-9._@-]+$/.test(identity)) throw new HomeostatError('HS_INVALID_INPUT', `identity "${identity}" may only contain letters, digits and . _ @ -`);
  return path.join(configDir(), 'keys', `${identity}.key`);
}

const KeyFileSchema = z.strictObject({ identity: z.string().min(1), secretKey: z.string().regex(/^[0-9a-f]{64}$/), publicKey: z.string() });

export interface Signer {
  identity: string;
  secretKey: Uint8Array;
  publicKey: string;
}

export function newSigner(identity: string): Signer {
  const secretKey = ed25519.utils.randomPrivateKey();
  return { identity, secretKey, publicKey: publicKeyOf(secretKey) };
}

/** Writes a new key pair for `identity` (mode 0600 in a 0700 directory); refuses to replace one unless `force`. */
export function createKeyFile(identity: string, force = false): { signer: Signer; file: string } {
  const file = keyFile(identity);
  if (fs.existsSync(file) && !force) {
    throw new HomeostatError('HS_REFUSED', `a key for "${identity}" already exists at ${file} (use --force to replace it; the old public key then stops working once removed from the policy)`);
  }
  const signer = newSigner(identity);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${JSON.stringify({ identity, secretKey: bytesToHex(signer.secretKey), publicKey: signer.publicKey })}\n`, { mode: 0o600, flag: 'wx' });
  return { signer, file };
}

export function loadSigner(identity: string): Signer {
  const file = keyFile(identity);
  if (!fs.existsSync(file)) throw new HomeostatError('HS_NOT_FOUND', `no signing key for "${identity}" at ${file}: create one with \`npx homeostat keys create --as ${identity}\``);
  const mode = fs.statSync(file).mode & 0o077;
  if (mode !== 0) throw new HomeostatError('HS_REFUSED', `${file} is readable by others (mode ${(fs.statSync(file).mode & 0o777).toString(8)}): chmod 600 it`);
  const parsed = KeyFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success || parsed.data.identity !== identity) throw new HomeostatError('HS_INVALID_INPUT', `${file} is not a Homeostat key file for "${identity}"`);
  const secretKey = hexToBytes(parsed.data.secretKey);
  return { identity, secretKey, publicKey: publicKeyOf(secretKey) };
}

/**
 * A key pair held in memory only, its public key registered in a local stack's keys file: how
 * the demo and the drills approve as the on-call engineer at the keyboard would, leaving the
 * user's own keys alone.
 */
export function localSigner(identity: string, keysFile: string): Signer {
  const signer = newSigner(identity);
  registerKey(keysFile, { identity, publicKey: signer.publicKey });
  return signer;
}

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** The first run id of an incident's continue-as-new chain, which every signature binds. */
export async function firstRunId(handle: WorkflowHandle): Promise<string> {
  const d = await handle.describe();
  const first = d.raw.workflowExecutionInfo?.firstRunId;
  if (!first) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `Temporal did not report the first run id of ${handle.workflowId} (server too old?)`);
  return first;
}

export interface DecisionRequest {
  decision: DecisionKind;
  incidentId: string;
  runId: string;
  /** The plan decided on; `''` for an abort not tied to a plan. */
  planId: string;
  reason?: string;
  ttlMs?: number;
  /** Defaults to the local clock. */
  now?: number;
}

export type DecisionArgs = Approval | Rejection | AbortRequest;

/** The argument of the approve / reject update (or signal), or of the abort signal, signed by `signer`. */
export function signedArgs(signer: Signer, r: DecisionRequest & { decision: 'approve' }): Approval;
export function signedArgs(signer: Signer, r: DecisionRequest & { decision: 'reject' }): Rejection;
export function signedArgs(signer: Signer, r: DecisionRequest & { decision: 'abort' }): AbortRequest;
export function signedArgs(signer: Signer, r: DecisionRequest): DecisionArgs;
export function signedArgs(signer: Signer, r: DecisionRequest): DecisionArgs {
  const expiresAt = new Date((r.now ?? Date.now()) + (r.ttlMs ?? DEFAULT_DECISION_TTL_MS)).toISOString();
  const proof = signDecision(signer.secretKey, {
    decision: r.decision,
    identity: signer.identity,
    incidentId: r.incidentId,
    runId: r.runId,
    planId: r.planId,
    reason: r.reason ?? '',
    expiresAt,
    nonce: newNonce(),
  });
  const reason = r.reason ? { reason: r.reason } : {};
  if (r.decision === 'abort') return { by: signer.identity, ...reason, proof };
  return { approver: signer.identity, ...reason, planId: r.planId, proof };
}

/** Signs a decision on a running incident, reading its first run id from Temporal. */
export async function signFor(handle: WorkflowHandle, signer: Signer, r: Omit<DecisionRequest, 'incidentId' | 'runId'>): Promise<DecisionArgs> {
  return signedArgs(signer, { ...r, incidentId: handle.workflowId, runId: await firstRunId(handle) });
}
