/**
 * The repair templates' step log, kept in the knowledge base's actuator table so one store
 * answers "did this side effect already happen?" for the execute activity and for every step
 * of every template. Template keys are prefixed so they never collide with the activity's own.
 */
import type { ActuationRecord, ActuatorLog } from '../activities/templates/deps';
import type { KnowledgeBase } from '../knowledge/types';
import type { RepairAction } from '../policies/taxonomy';

const PREFIX = 'step:';

export class KnowledgeBaseActuatorLog implements ActuatorLog {
  constructor(private readonly kb: KnowledgeBase) {}

  async get(key: string): Promise<ActuationRecord | undefined> {
    const a = await this.kb.getActuation(PREFIX + key);
    if (!a) return undefined;
    const detail = (a.status === 'done' ? a.result : a.detail) as Record<string, unknown> | undefined;
    return { key, action: a.action, target: a.resource, status: a.status, detail: detail ?? {}, at: a.completedAt ?? a.recordedAt };
  }

  async put(record: Omit<ActuationRecord, 'at'>): Promise<void> {
    const k = PREFIX + record.key;
    await this.kb.recordActuation({
      idempotencyKey: k,
      // Keys start with the incident id (`incident/<pipeline>/<component>@<run>:…`).
      incidentId: record.key.split('@')[0] ?? record.key,
      step: 'template-step',
      attempt: 0,
      action: record.action as RepairAction,
      resource: record.target,
      detail: record.detail,
    });
    if (record.status === 'done') await this.kb.completeActuation(k, record.detail);
  }
}
