import { type Command } from 'commander';
import { z } from 'zod';
import { FAULT_CLASSES, SEVERITIES, type FaultClass } from '../../policies/taxonomy';
import {
  evidenceSignal,
  incidentWorkflowId,
  INCIDENT_WORKFLOW_TYPE,
  SearchAttributes,
  TASK_QUEUE,
  type Evidence,
  type IncidentInput,
} from '../../workflows/shared';
import { parseFlags, print } from '../flags';
import { formatExplanation, readIncident, table, webUiLink } from '../incident-view';
import { withTemporalClient } from '../temporal-client';

const Name = z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-" only');

const OpenFlags = z.object({
  pipeline: Name,
  component: Name,
  fault: z.enum(FAULT_CLASSES as [FaultClass, ...FaultClass[]]),
  severity: z.enum(SEVERITIES).default('medium'),
  requireApproval: z.boolean().default(false),
  shadow: z.boolean().default(false),
  reason: z.string().default('opened by an operator'),
  json: z.boolean().default(false),
});

const ListFlags = z.object({
  pipeline: Name.optional(),
  stage: z.string().optional(),
  awaitingApproval: z.boolean().default(false),
  open: z.boolean().default(false),
  limit: z.coerce.number().int().positive().default(50),
  json: z.boolean().default(false),
});

export function uiBase(): string {
  return process.env.HOMEOSTAT_UI_URL ?? 'http://127.0.0.1:8233';
}

export function register(program: Command): void {
  const incidents = program.command('incidents').description('open, list and inspect incidents');

  incidents
    .command('open')
    .description('open an incident by hand (an operator starting a remediation); prints its workflow id')
    .requiredOption('--pipeline <name>', 'pipeline name')
    .requiredOption('--component <name>', 'component (resource) name')
    .requiredOption('--fault <class>', `fault class: ${FAULT_CLASSES.join(' | ')}`)
    .option('--severity <level>', `severity: ${SEVERITIES.join(' | ')}`, 'medium')
    .option('--require-approval', 'require a human approval before any repair runs')
    .option('--shadow', 'shadow mode: plan and record, execute nothing')
    .option('--reason <text>', 'why the incident is opened')
    .option('--json', 'print JSON')
    .action(async (raw: unknown) => {
      const f = parseFlags(OpenFlags, raw);
      const at = new Date().toISOString();
      const evidence: Evidence = { at, source: 'operator', summary: f.reason, faultHint: f.fault };
      const input: IncidentInput = {
        pipeline: f.pipeline,
        component: f.component,
        trigger: { kind: 'manual', detail: f.reason, at },
        evidence: [evidence],
        faultClass: f.fault,
        severity: f.severity,
        ...(f.requireApproval ? { requireApproval: true } : {}),
        ...(f.shadow ? { mode: 'shadow' as const } : {}),
      };
      const id = incidentWorkflowId(f.pipeline, f.component);
      await withTemporalClient(async (client, settings) => {
        // signalWithStart: an incident already open on this component receives this as evidence.
        const handle = await client.workflow.signalWithStart(INCIDENT_WORKFLOW_TYPE, {
          workflowId: id,
          taskQueue: TASK_QUEUE,
          args: [input],
          signal: evidenceSignal,
          signalArgs: [evidence],
          typedSearchAttributes: [
            { key: SearchAttributes.pipeline, value: f.pipeline },
            { key: SearchAttributes.component, value: f.component },
            { key: SearchAttributes.stage, value: 'detect' },
          ],
        });
        const link = webUiLink(uiBase(), settings.namespace, id);
        print(f.json, { id, runId: handle.signaledRunId, webUi: link }, () => id);
      });
    });

  incidents
    .command('list')
    .description('list incidents (newest first)')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--stage <stage>', 'only incidents at this stage')
    .option('--awaiting-approval', 'only incidents waiting for an approval')
    .option('--open', 'only running incidents')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (raw: unknown) => {
      const f = parseFlags(ListFlags, raw);
      const clauses = [`WorkflowType = '${INCIDENT_WORKFLOW_TYPE}'`];
      if (f.pipeline) clauses.push(`HealPipeline = '${f.pipeline}'`);
      if (f.stage) clauses.push(`HealStage = '${f.stage.replace(/'/g, '')}'`);
      if (f.awaitingApproval) clauses.push('HealAwaitingApproval = true');
      if (f.open) clauses.push(`ExecutionStatus = 'Running'`);
      await withTemporalClient(async (client) => {
        const rows: Record<string, string>[] = [];
        for await (const w of client.workflow.list({ query: clauses.join(' AND ') })) {
          const sa = w.typedSearchAttributes;
          rows.push({
            id: w.workflowId,
            status: w.status.name,
            stage: sa.get(SearchAttributes.stage) ?? '',
            fault: sa.get(SearchAttributes.faultClass) ?? '',
            action: sa.get(SearchAttributes.action) ?? '',
            approval: sa.get(SearchAttributes.awaitingApproval) ? 'waiting' : '',
            outcome: sa.get(SearchAttributes.outcome) ?? '',
            started: w.startTime.toISOString(),
          });
          if (rows.length >= f.limit) break;
        }
        print(f.json, rows, () => (rows.length ? table(rows, ['id', 'status', 'stage', 'fault', 'action', 'approval', 'outcome', 'started']) : 'no incidents'));
      });
    });

  incidents
    .command('show')
    .description('show an incident: stage, plan, approvals, explanation')
    .argument('<id>', 'incident (workflow) id, e.g. incident/demo/sink')
    .option('--json', 'print JSON')
    .action(async (id: string, raw: unknown) => {
      const f = parseFlags(z.object({ json: z.boolean().default(false) }), raw);
      await withTemporalClient(async (client, settings) => {
        const view = { ...(await readIncident(client, id)), webUi: webUiLink(uiBase(), settings.namespace, id) };
        print(f.json, view, () =>
          [
            `${view.id}  (${view.status})`,
            `  pipeline     ${view.pipeline}`,
            `  component    ${view.component}`,
            `  stage        ${view.stage}${view.awaitingApproval ? '  — awaiting approval' : ''}`,
            `  fault        ${view.faultClass} (${view.severity})  mode ${view.mode}`,
            `  plan         ${view.plan ? `${view.plan.action} on ${view.plan.target} (plan ${view.plan.planId})` : '—'}`,
            `  approvals    ${view.approvals.map((a) => a.approver).join(', ') || '—'}`,
            `  outcome      ${view.outcome ?? '—'}`,
            '  explanation',
            formatExplanation(view.explanation).replace(/^/gm, '  '),
            `  web ui       ${view.webUi ?? ''}`,
          ].join('\n'),
        );
      });
    });
}
