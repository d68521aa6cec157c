import { type Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { approveUpdate, rejectUpdate } from '../../workflows/shared';
import { recordCliAudit } from '../audit';
import { parseFlags, print } from '../flags';
import { withTemporalClient } from '../temporal-client';

const Flags = z.object({
  as: z.string().min(1, 'an approver identity is required'),
  reason: z.string().optional(),
  plan: z.string().optional(),
  json: z.boolean().default(false),
});

type Decision = 'approve' | 'reject';

/**
 * Sends an approval or rejection as an update: the workflow's validator refuses an unknown or
 * unauthorised identity, or an expired plan, before anything enters history. Every attempt,
 * refused or not, is written to the audit log.
 */
async function decide(decision: Decision, id: string, raw: unknown): Promise<void> {
  const f = parseFlags(Flags, raw);
  await withTemporalClient(async (client) => {
    const handle = client.workflow.getHandle(id);
    try {
      const state =
        decision === 'approve'
          ? await handle.executeUpdate(approveUpdate, { args: [{ approver: f.as, ...(f.reason ? { reason: f.reason } : {}), ...(f.plan ? { planId: f.plan } : {}) }] })
          : await handle.executeUpdate(rejectUpdate, { args: [{ approver: f.as, ...(f.reason ? { reason: f.reason } : {}) }] });
      await recordCliAudit({ actor: f.as, action: `${decision}.accepted`, subject: id, detail: { reason: f.reason ?? null, planId: state.plan?.planId ?? null } });
      print(f.json, { id, decision, by: f.as, stage: state.stage, plan: state.plan?.planId ?? null }, () => `${decision === 'approve' ? 'approved' : 'rejected'} ${id} as ${f.as}`);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const why = err.cause?.message ?? err.message;
        await recordCliAudit({ actor: f.as, action: `${decision}.refused`, subject: id, detail: { reason: why } });
        const code = /not an authorised approver/.test(why) ? 'HS_UNAUTHORISED' : 'HS_REFUSED';
        throw new HomeostatError(code, `${decision} refused for ${id}: ${why}`);
      }
      throw err;
    }
  });
}

export function register(program: Command): void {
  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} the pending plan of an incident`)
      .argument('<id>', 'incident (workflow) id')
      .requiredOption('--as <identity>', 'your approver identity (must be authorised by the policy)')
      .option('--reason <text>', 'why')
      .option('--json', 'print JSON')
      .action((id: string, raw: unknown) => decide(decision, id, raw));
  }
}
