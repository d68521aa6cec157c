/**
 * Diagnose: classify the fault, walk lineage upstream to the minimal set of anomalous nodes
 * that explains it, and fetch similar past cases.
 */
import { minimalAnomalousUpstream } from '../knowledge/lineage';
import { DEFAULT_CBR, similarity } from '../policies/case-based';
import { findComponent, findPipeline } from '../policies/lookup';
import { layerOf, SEVERITIES, type FaultClass, type Severity, UNKNOWN_FAULT } from '../policies/taxonomy';
import type { DiagnoseInput, Diagnosis } from './contracts';
import type { IncidentDeps } from './deps';

/** Most frequent fault hint in the evidence; hard faults first (a crash explains the lag it causes). */
function classify(input: DiagnoseInput): FaultClass | typeof UNKNOWN_FAULT {
  if (input.faultHint) return input.faultHint;
  const counts = new Map<FaultClass, number>();
  for (const e of input.evidence) {
    if (e.faultHint) counts.set(e.faultHint, (counts.get(e.faultHint) ?? 0) + (e.hardFault ? 100 : 1));
  }
  let best: FaultClass | typeof UNKNOWN_FAULT = UNKNOWN_FAULT;
  let bestCount = 0;
  for (const [fault, n] of counts) {
    if (n > bestCount) {
      best = fault;
      bestCount = n;
    }
  }
  return best;
}

function severityOf(input: DiagnoseInput): Severity {
  if (input.severityHint) return input.severityHint;
  const worst = Math.min(1, ...input.evidence.map((e) => (typeof e.health === 'number' ? e.health : 1)));
  if (input.evidence.some((e) => e.hardFault)) return 'high';
  // Health is 1 when fine and 0 when fully anomalous.
  if (worst < 0.2) return 'high';
  if (worst < 0.5) return 'medium';
  return SEVERITIES[0];
}

export async function diagnose(deps: IncidentDeps, input: DiagnoseInput): Promise<Diagnosis> {
  const faultClass = classify(input);
  const severity = severityOf(input);
  const pipeline = findPipeline(deps.policy(), input.pipeline);
  const component = pipeline ? findComponent(pipeline, input.component) : undefined;

  // Lineage: the knowledge base's graph (from OpenLineage events) plus the pipeline's own DAG.
  const kbEdges = await deps.kb.lineageEdges();
  const dagEdges = (pipeline?.edges ?? []).map((e) => ({ from: e.from, to: e.to }));
  const anomalous = new Set<string>([input.component]);
  for (const e of input.evidence) {
    const c = (e as { component?: string }).component;
    if (typeof c === 'string') anomalous.add(c);
  }
  const roots = minimalAnomalousUpstream([...dagEdges, ...kbEdges], input.component, anomalous);

  const cases = faultClass === UNKNOWN_FAULT ? [] : await deps.kb.pastCases({ pipeline: input.pipeline, faultClass, limit: 50 });
  const signature = { component: input.component, faultClass, severity };
  const similarCases = cases
    .map((c) => ({ component: c.component, action: c.action, outcome: c.verification, similarity: similarity(signature, c) }))
    .filter((c) => c.similarity >= DEFAULT_CBR.minSimilarity)
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, 5);

  const layer = faultClass === UNKNOWN_FAULT ? (component?.layer ?? 'unknown') : (layerOf(faultClass) ?? 'unknown');
  const source = input.faultHint ? 'named by the trigger' : faultClass === UNKNOWN_FAULT ? 'no evidence named a fault class' : 'most frequent fault in the evidence';
  return {
    faultClass,
    layer,
    severity,
    rootCauses: roots.candidates,
    similarCases,
    summary: `${source}; ${input.evidence.length} evidence record(s)${pipeline ? '' : `; pipeline ${input.pipeline} is not in the policy`}`,
    sensitivity: component?.sensitivity ?? [],
  };
}
