/**
 * The approval walk-through: one incident that needs a human, approved the way an operator
 * would (an update signed with their key), followed stage by stage to its end.
 */
import { type Client } from '@temporalio/client';
import { signFor, type Signer } from '../common/decision-keys';
import {
  approveUpdate,
  evidenceSignal,
  incidentWorkflowId,
  INCIDENT_WORKFLOW_TYPE,
  stateQuery,
  TASK_QUEUE,
  timelineQuery,
  type Approval,
  type Evidence,
  type IncidentState,
  type TimelineEntry,
} from '../workflows/shared';

export interface ApprovalWalkthrough {
  id: string;
  state: IncidentState;
  timeline: TimelineEntry[];
}

export async function runApprovalWalkthrough(
  client: Client,
  opts: { pipeline: string; component: string; approver: Signer; say: (line: string) => void },
): Promise<ApprovalWalkthrough> {
  const { say } = opts;
  const at = new Date().toISOString();
  const evidence: Evidence = {
    at,
    source: 'demo',
    summary: 'consumer lag above its SLO for 3 minutes',
    faultHint: 'lag',
    health: 0.31,
  };
  const id = incidentWorkflowId(opts.pipeline, opts.component);
  const handle = await client.workflow.signalWithStart(INCIDENT_WORKFLOW_TYPE, {
    workflowId: id,
    taskQueue: TASK_QUEUE,
    args: [
      {
        pipeline: opts.pipeline,
        component: opts.component,
        trigger: { kind: 'manual', detail: 'demo: lag on the sink needs an operator decision', at },
        evidence: [evidence],
        faultClass: 'lag',
        severity: 'high',
        requireApproval: true,
        timing: { settleMs: 2_000 },
      },
    ],
    signal: evidenceSignal,
    signalArgs: [evidence],
  });
  say(`opened ${id}`);

  let lastStage = '';
  const follow = async (until: (s: IncidentState) => boolean): Promise<IncidentState> => {
    for (;;) {
      const s = await handle.query(stateQuery).catch(() => undefined);
      if (s && s.stage !== lastStage) {
        lastStage = s.stage;
        say(`  stage ${s.stage}${s.awaitingApproval ? ' (awaiting approval)' : ''}`);
      }
      if (s && until(s)) return s;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const waiting = await follow((s) => s.awaitingApproval);
  const planId = waiting.plan?.planId ?? '';
  say(`  ${opts.approver.identity} approves plan ${planId} (${waiting.plan?.action}), signed with their key`);
  const args = (await signFor(handle, opts.approver, { decision: 'approve', planId, reason: 'demo: approved by the on-call lead' })) as Approval;
  await handle.executeUpdate(approveUpdate, { args: [args] });
  await follow((s) => s.stage === 'closed');
  const state = (await handle.result()) as IncidentState;
  const timeline = await handle.query(timelineQuery);
  return { id, state, timeline };
}
