/**
 * Load shedding as installed by the load-shedding repair: either keep a deterministic sample
 * (by hash of the event id, so a replay sheds exactly the same records) or drop low-priority
 * events. Every shed id is written to the ledger: shedding is an account, not a silent loss.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const shedSettingSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('sample'), keep: z.number().min(0).max(1), until: z.number().optional() }),
  z.object({ mode: z.literal('priority'), drop: z.array(z.enum(['low', 'high'])).default(['low']), until: z.number().optional() }),
]);
export type ShedSetting = z.infer<typeof shedSettingSchema>;

/** True when the record must be shed. */
export function shedDecision(setting: ShedSetting, id: string, priority: string, now = Date.now()): boolean {
  if (setting.until !== undefined && now > setting.until) return false;
  if (setting.mode === 'priority') return (setting.drop as string[]).includes(priority);
  const h = createHash('sha1').update(id).digest().readUInt32BE(0) / 0x100000000;
  return h >= setting.keep;
}
