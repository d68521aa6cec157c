/**
 * Anchors of the audit chain outside the knowledge base. The chain alone proves that no row was
 * edited in place — but whoever can write the database can also delete its last rows, or rewrite
 * every row from row k on and recompute the hashes, and the chain still verifies. An anchor is a
 * signed checkpoint of the chain's head, kept in Temporal (workers/audit-anchor.ts): the head's
 * seq and hash and the hash of every row since the previous anchor, signed with the worker's
 * Ed25519 key. `audit verify` compares the database with the anchors: a row whose hash differs
 * from its anchored hash is the first bad row; anchored rows that are gone are a missing tail.
 *
 * Forging anchors to match a rewritten database needs the private key, which the database's
 * writers (the CLI, an operator with SQL access) never hold.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { HomeostatError } from '../common/errors';
import { canonicalJson } from './canonical-json';
import type { AuditRow, KnowledgeBase } from './types';

export const auditAnchorBody = z.strictObject({
  v: z.literal(1),
  /** Which chain (several knowledge bases may anchor in one namespace). */
  chain: z.string().min(1),
  /** First seq whose hash is in `hashes`. */
  from: z.number().int().positive(),
  /** Head of the chain when anchored (the last seq in `hashes`). */
  seq: z.number().int().positive(),
  /** Row hashes for seq from..seq, in order. */
  hashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).min(1),
  at: z.string(),
  /** Why: `rows` (N rows since the last anchor) or `incident.closed`. */
  reason: z.string(),
  /** SHA-256 (hex, first 16) of the signer's public key (DER), to tell keys apart in rotation. */
  keyId: z.string(),
});
export type AuditAnchorBody = z.infer<typeof auditAnchorBody>;
export const signedAnchor = z.strictObject({ body: auditAnchorBody, signature: z.string() });
export type SignedAnchor = z.infer<typeof signedAnchor>;

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export class AnchorSigner {
  readonly publicKey: KeyObject;
  readonly keyId: string;
  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new HomeostatError('HS_INVALID_INPUT', 'audit anchor key: an Ed25519 private key is required');
    this.publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  static fromFile(file: string): AnchorSigner {
    try {
      return new AnchorSigner(createPrivateKey(fs.readFileSync(file)));
    } catch (err) {
      if (err instanceof HomeostatError) throw err;
      throw new HomeostatError('HS_INVALID_INPUT', `audit anchor key ${file}: ${(err as Error).message}`);
    }
  }

  sign(body: AuditAnchorBody): SignedAnchor {
    return { body, signature: sign(null, Buffer.from(canonicalJson(body)), this.privateKey).toString('base64') };
  }
}

/** Public keys anchors may be signed with: a PEM public or private key file (the private one's public half). */
export function anchorPublicKeyFromFile(file: string): KeyObject {
  const pem = fs.readFileSync(file);
  try {
    return createPublicKey(pem);
  } catch {
    return createPublicKey(createPrivateKey(pem));
  }
}

export function anchorSignatureValid(a: SignedAnchor, keys: readonly KeyObject[]): boolean {
  const data = Buffer.from(canonicalJson(a.body));
  const sig = Buffer.from(a.signature, 'base64');
  return keys.some((k) => keyIdOf(k) === a.body.keyId && verify(null, data, k, sig));
}

/** The body of the anchor covering rows after `lastAnchored` up to the head (at most `maxRows`). */
export function anchorBodyFor(chain: string, rows: readonly AuditRow[], reason: string, keyId: string, now = new Date()): AuditAnchorBody | undefined {
  if (rows.length === 0) return undefined;
  return { v: 1, chain, from: rows[0]!.seq, seq: rows[rows.length - 1]!.seq, hashes: rows.map((r) => r.hash), at: now.toISOString(), reason, keyId };
}

export interface AnchorVerification {
  ok: boolean;
  /** Rows of the database checked against an anchor. */
  anchoredRows: number;
  anchors: number;
  /** Highest seq any valid anchor vouches for. */
  anchoredHead: number;
  /** Anchors whose signature does not verify with the given keys (ignored for the comparison). */
  badSignatures: number;
  firstBrokenRow?: number;
  reason?: string;
}

/**
 * Compares the database's rows with the anchors: the first row (lowest seq) whose hash is not
 * the anchored one, or — when every present row matches — anchored rows past the database's
 * last row (a cut tail). Rows after the last anchor are vouched for by the chain alone.
 */
export async function verifyAgainstAnchors(kb: KnowledgeBase, anchors: readonly SignedAnchor[], keys: readonly KeyObject[]): Promise<AnchorVerification> {
  const expected = new Map<number, string>();
  let badSignatures = 0;
  let valid = 0;
  for (const a of anchors) {
    if (!anchorSignatureValid(a, keys)) {
      badSignatures++;
      continue;
    }
    valid++;
    a.body.hashes.forEach((h, i) => {
      const seq = a.body.from + i;
      const prior = expected.get(seq);
      // Two valid anchors disagreeing means the signing key signed two histories: report it.
      if (prior !== undefined && prior !== h) expected.set(seq, 'conflict');
      else expected.set(seq, h);
    });
  }
  const anchoredHead = Math.max(0, ...expected.keys());
  const rows = await kb.listAudit({ limit: Number.MAX_SAFE_INTEGER });
  const bySeq = new Map(rows.map((r) => [r.seq, r.hash]));
  const dbHead = rows.length > 0 ? rows[rows.length - 1]!.seq : 0;
  let anchoredRows = 0;
  const base = { anchors: valid, anchoredHead, badSignatures };
  for (const seq of [...expected.keys()].sort((a, b) => a - b)) {
    const want = expected.get(seq)!;
    const have = bySeq.get(seq);
    if (have === undefined) {
      if (seq > dbHead) {
        return { ok: false, anchoredRows, ...base, firstBrokenRow: dbHead + 1, reason: `the tail is missing: rows ${dbHead + 1}..${anchoredHead} were anchored in Temporal but the database ends at row ${dbHead}` };
      }
      return { ok: false, anchoredRows, ...base, firstBrokenRow: seq, reason: `row ${seq} was anchored but is missing from the database` };
    }
    if (want === 'conflict') return { ok: false, anchoredRows, ...base, firstBrokenRow: seq, reason: `two validly signed anchors disagree about row ${seq}` };
    if (have !== want) return { ok: false, anchoredRows, ...base, firstBrokenRow: seq, reason: `row ${seq} is not the row that was anchored (its hash differs: rewritten, or the chain was re-hashed from here on)` };
    anchoredRows++;
  }
  if (badSignatures > 0 && valid === 0) return { ok: false, anchoredRows, ...base, reason: `none of the ${badSignatures} anchor(s) is signed with the given key` };
  return { ok: true, anchoredRows, ...base };
}
