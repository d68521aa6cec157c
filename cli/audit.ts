/**
 * Appends an operator's CLI action (approvals, rejections, refusals) to the knowledge base's
 * hash-chained audit log, so a refused approval leaves a trace even though it never reached
 * the workflow's history.
 */
import { defaultKnowledgeDbPath, openKnowledgeBaseAt } from '../knowledge/open';

export interface CliAuditEntry {
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

export async function recordCliAudit(entry: CliAuditEntry, dbPath: string = defaultKnowledgeDbPath()): Promise<void> {
  const kb = await openKnowledgeBaseAt(dbPath);
  try {
    await kb.appendAudit({ ...entry, detail: { ...entry.detail, via: 'cli' } });
  } finally {
    await kb.close();
  }
}
