/**
 * Progressive autonomy as an operator sees it: per pipeline and fault class, the mode in force
 * (learnt, pinned by the policy, or the pipeline's default), the decided cases and precision the
 * promotion rule reads (first choices of both modes against what finally worked or was approved),
 * and the last promotion or demotion with its reason, from the audit log.
 */
import { effectiveMode, findPipeline } from '../policies/lookup';
import { evaluatePromotion } from '../policies/promotion';
import type { PolicyConfig } from '../policies/schema';
import type { FaultClass, Mode } from '../policies/taxonomy';
import type { KnowledgeBase } from './types';

export interface AutonomyRow {
  pipeline: string;
  faultClass: FaultClass;
  mode: Mode;
  /** Where the mode comes from. */
  source: 'pinned by the policy' | 'learnt' | 'policy default';
  cases: number;
  precision: number | null;
  promotionBar: number;
  demotionBar: number;
  minCases: number;
  /** The last promotion or demotion, as audited. */
  lastChange: { kind: string; at: string; reason: string; auditSeq: number } | null;
}

export async function autonomyReport(kb: KnowledgeBase, policy: PolicyConfig, only?: string): Promise<AutonomyRow[]> {
  const rows: AutonomyRow[] = [];
  const pipelines = only ? [findPipeline(policy, only)].filter((p) => p !== undefined) : policy.pipelines;
  for (const p of pipelines) {
    for (const faultClass of Object.keys(p.repairs) as FaultClass[]) {
      const learned = await kb.getMode(p.name, faultClass);
      const mode = effectiveMode(p, faultClass, learned?.mode);
      const records = await kb.shadowRecords(p.name, faultClass, p.promotion.window * 2);
      const { report } = evaluatePromotion({ pipeline: p, faultClass, current: mode, records, now: Date.now() });
      const audited = (await kb.listAudit({ subject: `${p.name}/${faultClass}`, limit: 20 })).filter((a) => a.action === 'promote' || a.action === 'demote').at(-1);
      const detail = (audited?.detail ?? {}) as { reason?: string };
      rows.push({
        pipeline: p.name,
        faultClass,
        mode,
        source: p.modeOverrides[faultClass] ? 'pinned by the policy' : learned && p.promotion.enabled ? 'learnt' : 'policy default',
        cases: report.cases,
        precision: report.cases > 0 ? report.precision : null,
        promotionBar: p.promotion.precisionBar,
        demotionBar: p.promotion.demotionBar ?? p.promotion.precisionBar,
        minCases: p.promotion.minCases,
        lastChange: audited ? { kind: audited.action, at: audited.at, reason: detail.reason ?? learned?.reason ?? '', auditSeq: audited.seq } : null,
      });
    }
  }
  return rows;
}

export function formatAutonomy(rows: AutonomyRow[]): string {
  if (rows.length === 0) return 'no pipeline or fault class to report';
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  const table = rows.map((r) => [
    r.pipeline,
    r.faultClass,
    `${r.mode} (${r.source})`,
    `${r.cases}/${r.minCases}`,
    r.precision === null ? '—' : pct(r.precision),
    `≥ ${pct(r.promotionBar)} / < ${pct(r.demotionBar)}`,
    r.lastChange ? `${r.lastChange.kind} at ${r.lastChange.at}: ${r.lastChange.reason} (audit #${r.lastChange.auditSeq})` : 'never changed',
  ]);
  const head = ['pipeline', 'fault class', 'mode', 'cases', 'precision', 'promote / demote', 'last change'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...table.map(line)].join('\n');
}
