/**
 * Approvers' public keys: the keys file a policy names (or the local stack's), merged into the
 * policy's approvers, and the trust snapshot a plan hands to the incident workflow so it can
 * verify signed decisions inside its sandbox.
 *
 * A keys file lists approvers like the policy does. An identity the policy lists gains the keys;
 * its roles and pipelines stay the policy's (a keys file cannot promote anyone the policy names).
 * An identity only the keys file lists needs roles, and its pipelines default to `*`.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { HomeostatError } from '../common/errors';
import { formatZodIssues } from '../common/zod-errors';
import { authoriseApprover } from './lookup';
import { PUBLIC_KEY_PATTERN, type Approver, type PolicyConfig, type SourceTrust } from './schema';

const KeyEntry = z.strictObject({
  identity: z.string().min(1),
  publicKeys: z.array(z.string().regex(PUBLIC_KEY_PATTERN, 'expected ed25519:<64 hex digits>')).default([]),
  roles: z.array(z.string().min(1)).optional(),
  pipelines: z.array(z.string().min(1)).optional(),
});
export const KeysFileSchema = z.strictObject({ approvers: z.array(KeyEntry).default([]) });
export type KeysFile = z.output<typeof KeysFileSchema>;

export function parseKeysFile(text: string, source: string): KeysFile {
  const parsed = KeysFileSchema.safeParse(YAML.parse(text) ?? {});
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `keys file ${source}: ${formatZodIssues(parsed.error).join("; ")}`);
  return parsed.data;
}

/** A missing keys file is an empty one: the local stack has none until `keys create` writes it. */
export function readKeysFile(file: string): KeysFile {
  if (!fs.existsSync(file)) return { approvers: [] };
  return parseKeysFile(fs.readFileSync(file, 'utf8'), file);
}

export function mergeKeys(policy: PolicyConfig, keys: KeysFile): PolicyConfig {
  const approvers: Approver[] = policy.approvers.map((a) => ({ ...a, publicKeys: [...a.publicKeys] }));
  for (const k of keys.approvers) {
    const known = approvers.find((a) => a.identity === k.identity);
    if (known) {
      for (const key of k.publicKeys) if (!known.publicKeys.includes(key)) known.publicKeys.push(key);
    } else if (k.roles && k.roles.length > 0) {
      approvers.push({ identity: k.identity, roles: k.roles, pipelines: k.pipelines ?? ['*'], publicKeys: k.publicKeys });
    }
  }
  return { ...policy, approvers };
}

/** The keys file a policy names, resolved against the policy file's directory. */
export function policyKeysFile(policy: PolicyConfig, policyFile: string): string | undefined {
  return policy.keysFile ? path.resolve(path.dirname(policyFile), policy.keysFile) : undefined;
}

/** Appends a key to a keys file (creating it), for `keys create --dev`. */
export function registerKey(file: string, entry: { identity: string; publicKey: string; roles?: string[] }): void {
  const current = readKeysFile(file);
  const known = current.approvers.find((a) => a.identity === entry.identity);
  if (known) {
    if (!known.publicKeys.includes(entry.publicKey)) known.publicKeys.push(entry.publicKey);
  } else {
    current.approvers.push({ identity: entry.identity, publicKeys: [entry.publicKey], ...(entry.roles ? { roles: entry.roles, pipelines: ['*'] } : {}) });
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, YAML.stringify(current));
}

/**
 * What the workflow needs to verify decisions on one pipeline, taken when a plan is made: the
 * keys of every identity that may approve there (the pipeline's approver roles, and whoever the
 * plan's own rules name). Who may approve a given plan is the plan's `approvers`; anyone listed
 * here may abort. The snapshot travels in history, so a key removed from the policy stops
 * working at the next plan — the next policy load.
 */
export interface TrustSnapshot {
  keys: Record<string, string[]>;
}

export function trustSnapshot(policy: PolicyConfig, pipeline: string, planApprovers: readonly string[] = []): TrustSnapshot {
  const keys: Record<string, string[]> = {};
  for (const a of policy.approvers) {
    if (a.publicKeys.length === 0) continue;
    if (planApprovers.includes(a.identity) || authoriseApprover(policy, pipeline, a.identity).ok) keys[a.identity] = [...a.publicKeys];
  }
  return { keys };
}

/**
 * The policy with its keys file merged in, re-read whenever the file changes (a stat per call):
 * a key removed from the file stops counting at the next plan. A keys file that cannot be read
 * or parsed counts as empty (nobody can decide) rather than keeping stale keys.
 */
export function withKeysFile(policy: () => PolicyConfig, keysFile: () => string | undefined, warn: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): () => PolicyConfig {
  let cached: { file: string; mtimeMs: number; size: number; keys: KeysFile } | undefined;
  return () => {
    const base = policy();
    const file = keysFile();
    if (!file) return base;
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(file);
    } catch {
      stat = undefined;
    }
    if (!stat) return base;
    if (!cached || cached.file !== file || cached.mtimeMs !== stat.mtimeMs || cached.size !== stat.size) {
      let keys: KeysFile = { approvers: [] };
      try {
        keys = readKeysFile(file);
      } catch (err) {
        warn(`[homeostat] keys file ${file} ignored: ${(err as Error).message}`);
      }
      cached = { file, mtimeMs: stat.mtimeMs, size: stat.size, keys };
    }
    return mergeKeys(base, cached.keys);
  };
}

const TRUST_EVERYTHING: SourceTrust = { openIncidents: true, faultHint: true, severity: true };

/** What evidence from `source` may decide; a source the policy does not list may do everything. */
export function sourceTrust(policy: PolicyConfig, source: string | undefined): SourceTrust {
  return (source !== undefined ? policy.sources[source] : undefined) ?? TRUST_EVERYTHING;
}
