/**
 * The templates' ActuatorLog on the knowledge base's actuator log (`recordActuation`,
 * `completeActuation`, `getActuation`). Keys: the bare idempotency key holds the template's
 * result; `<key>#<step>` holds each step. A `started` row keeps the detail it was recorded with
 * (the knowledge base never rewrites it), which is what an interrupted step needs to resume.
 */
import type { KnowledgeBase } from '../../knowledge/types';
import { REPAIR_ACTIONS, type RepairAction } from '../../policies/taxonomy';
import type { ActuationRecord, ActuatorLog } from './deps';

type Kb = Pick<KnowledgeBase, 'recordActuation' | 'completeActuation' | 'getActuation'>;

const asAction = (a: string): RepairAction => ((REPAIR_ACTIONS as readonly string[]).includes(a) ? (a as RepairAction) : 'log-and-wait');
const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export class KnowledgeActuatorLog implements ActuatorLog {
  constructor(private readonly kb: Kb) {}

  async get(key: string): Promise<ActuationRecord | undefined> {
    const a = await this.kb.getActuation(key);
    if (!a) return undefined;
    return {
      key,
      action: a.action,
      target: a.resource,
      status: a.status,
      detail: asRecord(a.status === 'done' ? a.result : a.detail),
      at: a.completedAt ?? a.recordedAt,
      incidentId: a.incidentId,
      attempt: a.attempt,
    };
  }

  async put(r: Omit<ActuationRecord, 'at'>): Promise<void> {
    const hash = r.key.indexOf('#');
    await this.kb.recordActuation({
      idempotencyKey: r.key,
      incidentId: r.incidentId ?? 'unknown',
      step: hash >= 0 ? r.key.slice(hash + 1) : 'execute',
      attempt: r.attempt ?? 1,
      action: asAction(r.action),
      resource: r.target,
      detail: r.status === 'started' ? r.detail : undefined,
    });
    if (r.status === 'done') await this.kb.completeActuation(r.key, r.detail);
  }
}
