/**
 * The worker's end of the decision-audit sink: every approve, reject and abort attempt that
 * reaches an incident workflow — accepted or refused, by update or by signal — becomes a row of
 * the audit log in the knowledge base this worker uses. Written here, not by the CLI, so
 * attempts from any Temporal client are on the record too.
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { KnowledgeBase } from '../knowledge/types';
import type { DecisionAuditSinks } from '../workflows/decisions';

export function decisionAuditSinks(kb: KnowledgeBase | undefined, warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): InjectedSinks<DecisionAuditSinks> {
  return {
    decisionAudit: {
      attempt: {
        async fn(_info, r) {
          if (!kb) {
            warn(`[homeostat] decision attempt not audited (no knowledge base on this worker): ${r.decision} by ${r.identity} on ${r.incidentId}: ${r.outcome}`);
            return;
          }
          try {
            await kb.appendAudit({
              actor: r.identity,
              action: `${r.decision}.${r.outcome}`,
              subject: r.incidentId,
              detail: { runId: r.runId, via: r.via, at: r.at, reason: r.reason ?? null, refusal: r.refusal ?? null, planId: r.planId ?? null, publicKey: r.publicKey ?? null, nonce: r.nonce ?? null },
            });
          } catch (err) {
            warn(`[homeostat] could not audit a decision attempt on ${r.incidentId}: ${String(err)}`);
          }
        },
        // A replayed history must not write the same attempt again.
        callDuringReplay: false,
      },
    },
  };
}
