/**
 * The policy a worker acts under, recorded in the knowledge base when it loads: the text as a
 * version (the same text again keeps its version) and each pipeline's definition. Every repair's
 * audit row names that version, so "which rules allowed this?" has an answer after the file
 * changed.
 */
import type { PolicyConfig } from '../policies/schema';
import type { KnowledgeBase, StoredPolicy } from './types';

export async function recordPolicy(kb: KnowledgeBase, text: string, source: string, policy: PolicyConfig): Promise<StoredPolicy> {
  return kb.transaction(async (tx) => {
    const stored = await tx.savePolicy(text, source);
    for (const p of policy.pipelines) await tx.upsertPipeline(p.name, { ...p, policyVersion: stored.version });
    return stored;
  });
}
