/**
 * The demo's scripted drill: one fault per layer (infrastructure, data, model), then two at
 * once, each injected into the live pipeline and healed by the loop (`loop-drill.ts` runs it and
 * measures detection, repair, healing and verification); at the end the sink is checked: every
 * event exactly once.
 */
import type { FaultOutcome, ScriptedFault } from './loop-drill';
import type { SinkIntegrity } from '../simulator/sink-store';

export type SinkSummary = Pick<SinkIntegrity, 'expected' | 'stored' | 'lost' | 'duplicates'>;

/**
 * Poison before the null spike: a quarantine stays on after its repair (a guard against the next
 * bad batch), so whichever data fault comes second meets a guard already in place. Poison first
 * shows a stage stalling and the quarantine that frees it; the null spike, later, is still seen at
 * the source and its incident verifies that the guard holds the data contract.
 */
export const DEMO_SCRIPT: ScriptedFault[][] = [
  [{ label: 'infrastructure: enrich crashes', spec: { fault: 'crash', target: 'enrich' }, watch: ['enrich'] }],
  [{ label: 'data: poison records at the source', spec: { fault: 'poison-records', target: 'source' }, watch: ['enrich', 'source'] }],
  [{ label: 'model: a bad model is promoted', spec: { fault: 'accuracy-drop', target: 'score' }, watch: ['score'] }],
  [
    { label: 'infrastructure: score crashes', spec: { fault: 'crash', target: 'score' }, watch: ['score'] },
    { label: 'data: null spike at the source', spec: { fault: 'null-spike', target: 'source' }, watch: ['enrich', 'source'] },
  ],
];

export function formatSummary(faults: FaultOutcome[], sink: SinkSummary): string {
  const secs = (from: string, to: string | null): string => (to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s` : '—');
  const verdict = (f: FaultOutcome): string =>
    f.verified ? 'yes' : f.reopenedAt && f.healedAt ? `no (reopened ${secs(f.healedAt, f.reopenedAt)} after)` : `no (${f.outcome ?? 'open'})`;
  const rows = faults.map((f) => [f.label, secs(f.injectedAt, f.detectedAt), f.action ?? '—', secs(f.injectedAt, f.healedAt), verdict(f)]);
  const head = ['fault', 'detected after', 'repaired by', 'healed after', 'verified'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    medianLine(faults),
    `sink integrity: expected ${sink.expected}, stored ${sink.stored}, lost ${sink.lost}, duplicates ${sink.duplicates}`,
  ].join('\n');
}

/** Median of the faults' times from injection to detection and to heal (verified faults only for the heal). */
export function medianTimes(faults: FaultOutcome[]): { detectSeconds: number | null; healSeconds: number | null } {
  const median = (xs: number[]): number | null => {
    if (xs.length === 0) return null;
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  const span = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / 1000;
  return {
    detectSeconds: median(faults.filter((f) => f.detectedAt).map((f) => span(f.injectedAt, f.detectedAt!))),
    healSeconds: median(faults.filter((f) => f.verified && f.healedAt).map((f) => span(f.injectedAt, f.healedAt!))),
  };
}

function medianLine(faults: FaultOutcome[]): string {
  const { detectSeconds, healSeconds } = medianTimes(faults);
  const fmt = (x: number | null): string => (x === null ? '—' : `${x.toFixed(1)} s`);
  const failed = faults.filter((f) => !f.verified).length;
  return `median time to detect ${fmt(detectSeconds)}, to heal ${fmt(healSeconds)}; ${failed} of ${faults.length} fault(s) not healed (a heal that reopens within 60 s counts as not healed)`;
}
