/** Appends a CLI action (approvals, refusals) to the knowledge base's hash-chained audit log. */
export interface CliAuditEntry {
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

export async function recordCliAudit(_entry: CliAuditEntry): Promise<void> {
  // Wired to the knowledge base below once it lands.
}
