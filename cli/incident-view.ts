import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { HomeostatError } from '../common/errors';
import {
  SearchAttributes,
  stateQuery,
  STAGES,
  type Explanation,
  type IncidentState,
  type Outcome,
  type Stage,
} from '../workflows/shared';

/** What `incidents show --json` prints: stable field names scripts can rely on. */
export interface IncidentView {
  id: string;
  pipeline: string;
  component: string;
  stage: Stage;
  awaitingApproval: boolean;
  outcome: Outcome | null;
  status: string;
  faultClass: string;
  severity: string;
  mode: string;
  action: string | null;
  approvals: IncidentState['approvals'];
  plan: IncidentState['plan'] | null;
  explanation: Explanation;
  webUi?: string;
}

const EMPTY_EXPLANATION: Explanation = { trigger: '', evidence: '', cause: '', action: '', impact: '', verification: '' };

/**
 * Reads an incident. A running incident answers the `state` query; a closed one is read from
 * its result, so `show` works even when no worker is running.
 */
export async function readIncident(client: Client, id: string): Promise<IncidentView> {
  const handle = client.workflow.getHandle(id);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new HomeostatError('HS_NOT_FOUND', `no incident with id ${id}`);
    throw err;
  }
  let state: IncidentState | undefined;
  if (description.status.name === 'COMPLETED') {
    state = (await handle.result()) as IncidentState;
  } else if (description.status.name === 'RUNNING') {
    state = await handle.query(stateQuery).catch(() => undefined);
  }
  const sa = description.typedSearchAttributes;
  const memo = (description.memo ?? {}) as { explanation?: Explanation; stage?: Stage; outcome?: Outcome | null };
  const stageAttr = sa.get(SearchAttributes.stage);
  const stage: Stage = state?.stage ?? memo.stage ?? (STAGES.includes(stageAttr as Stage) ? (stageAttr as Stage) : 'detect');
  return {
    id,
    pipeline: state?.pipeline ?? sa.get(SearchAttributes.pipeline) ?? '',
    component: state?.component ?? sa.get(SearchAttributes.component) ?? '',
    stage,
    awaitingApproval: state?.awaitingApproval ?? sa.get(SearchAttributes.awaitingApproval) ?? false,
    outcome: state?.outcome ?? memo.outcome ?? null,
    status: description.status.name,
    faultClass: state?.faultClass ?? sa.get(SearchAttributes.faultClass) ?? 'unknown',
    severity: state?.severity ?? sa.get(SearchAttributes.severity) ?? '',
    mode: state?.mode ?? sa.get(SearchAttributes.mode) ?? '',
    action: state?.plan?.action ?? sa.get(SearchAttributes.action) ?? null,
    approvals: state?.approvals ?? [],
    plan: state?.plan ?? null,
    explanation: state?.explanation ?? memo.explanation ?? EMPTY_EXPLANATION,
  };
}

export const EXPLANATION_PARTS: (keyof Explanation)[] = ['trigger', 'evidence', 'cause', 'action', 'impact', 'verification'];

export function formatExplanation(e: Explanation): string {
  return EXPLANATION_PARTS.map((k) => `  ${k.padEnd(12)} ${e[k] || '(none)'}`).join('\n');
}

export function webUiLink(uiBase: string | undefined, namespace: string, id: string): string | undefined {
  if (!uiBase) return undefined;
  return `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(id)}`;
}

/** A fixed-width table for humans; scripts use --json. */
export function table(rows: Record<string, string>[], columns: string[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string => cells.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n');
}
