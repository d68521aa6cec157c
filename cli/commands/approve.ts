/**
 * Operator decisions: approve or reject a named plan, abort an incident. Each is signed with the
 * operator's Ed25519 key (`keys create`), bound to the incident's id and first run id, the plan,
 * an expiry and a fresh nonce; the workflow verifies it before anything enters history and the
 * worker writes every attempt — accepted or refused — to the audit log of its knowledge base.
 * `--print-payload` prints the signed argument instead of sending it, for
 * `temporal workflow update execute` / `temporal workflow signal`.
 */
import { type Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { loadSigner, signFor, DEFAULT_DECISION_TTL_MS } from '../../common/decision-keys';
import type { DecisionKind } from '../../common/decision-signature';
import { HomeostatError } from '../../common/errors';
import { parseDuration } from '../../policies/duration';
import { abortSignal, approveUpdate, rejectUpdate, type AbortRequest, type Approval, type Rejection } from '../../workflows/shared';
import { parseFlags, print } from '../flags';
import { withTemporalClient } from '../temporal-client';

const Flags = z.object({
  as: z.string().min(1, 'an approver identity is required'),
  reason: z.string().optional(),
  plan: z.string().min(1).optional(),
  expires: z
    .string()
    .default('15m')
    .refine((s) => (parseDuration(s) ?? 0) > 0, 'expected a duration such as 15m'),
  printPayload: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** Refusals about who is deciding (identity, key, signature) are authorisation failures; the rest are rule refusals. */
const UNAUTHORISED = /may not decide|unsigned|signature|key/;

async function decide(decision: DecisionKind, id: string, raw: unknown): Promise<void> {
  const f = parseFlags(Flags, raw);
  if (decision !== 'abort' && !f.plan) {
    throw new HomeostatError('HS_INVALID_INPUT', `--plan is required: ${decision} names the plan you reviewed (see \`npx homeostat incidents show ${id}\`)`);
  }
  const signer = loadSigner(f.as);
  await withTemporalClient(async (client) => {
    const handle = client.workflow.getHandle(id);
    const args = await signFor(handle, signer, {
      decision,
      planId: f.plan ?? '',
      ...(f.reason ? { reason: f.reason } : {}),
      ttlMs: parseDuration(f.expires) ?? DEFAULT_DECISION_TTL_MS,
    });
    if (f.printPayload) {
      const name = decision === 'abort' ? 'signal' : 'update execute';
      print(f.json, args, () =>
        [
          JSON.stringify(args),
          '',
          `# send it yourself (valid until ${args.proof!.expiresAt}, once):`,
          `#   temporal workflow ${name} --workflow-id '${id}' --name ${decision} --input '${JSON.stringify(args)}'`,
        ].join('\n'),
      );
      return;
    }
    if (decision === 'abort') {
      // A signal cannot be refused before it enters history: the workflow notes a refusal in the timeline.
      await handle.signal(abortSignal, args as AbortRequest);
      print(f.json, { id, decision, by: f.as, sent: true }, () => `abort of ${id} sent as ${f.as} (a refused abort is noted in the incident's timeline)`);
      return;
    }
    try {
      const state =
        decision === 'approve'
          ? await handle.executeUpdate(approveUpdate, { args: [args as Approval] })
          : await handle.executeUpdate(rejectUpdate, { args: [args as Rejection] });
      print(f.json, { id, decision, by: f.as, stage: state.stage, plan: f.plan }, () => `${decision === 'approve' ? 'approved' : 'rejected'} plan ${f.plan} of ${id} as ${f.as}`);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const why = err.cause?.message ?? err.message;
        throw new HomeostatError(UNAUTHORISED.test(why) ? 'HS_UNAUTHORISED' : 'HS_REFUSED', `${decision} refused for ${id}: ${why}`);
      }
      throw err;
    }
  });
}

export function register(program: Command): void {
  const about: Record<DecisionKind, string> = {
    approve: 'approve a pending plan of an incident (signed with your key)',
    reject: 'reject a pending plan of an incident (signed with your key)',
    abort: 'stop an incident: nothing more is executed (signed with your key)',
  };
  for (const decision of ['approve', 'reject', 'abort'] as const) {
    const cmd = program
      .command(decision)
      .description(about[decision])
      .argument('<id>', 'incident (workflow) id')
      .requiredOption('--as <identity>', 'your identity: its key from `npx homeostat keys create` signs the decision');
    if (decision === 'abort') cmd.option('--plan <planId>', 'bind the abort to this plan (it is refused once another plan is in force)');
    else cmd.requiredOption('--plan <planId>', 'the plan you reviewed (`npx homeostat incidents show <id>`); a newer plan refuses it');
    cmd
      .option('--reason <text>', 'why (signed with the decision)')
      .option('--expires <duration>', 'how long the signature stays valid (at most 24h)', '15m')
      .option('--print-payload', 'print the signed payload instead of sending it (for the temporal CLI)')
      .option('--json', 'print JSON')
      .action((id: string, raw: unknown) => decide(decision, id, raw));
  }
}
