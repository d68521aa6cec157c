/**
 * Diagnose: classify the fault, walk lineage upstream to the minimal set of anomalous nodes
 * that explains it, and fetch similar past cases.
 */
import { minimalAnomalousUpstream } from '../knowledge/lineage';
import { DEFAULT_CBR, similarity } from '../policies/case-based';
import { sourceTrust } from '../policies/keys';
import { findComponent, findPipeline } from '../policies/lookup';
import type { PolicyConfig } from '../policies/schema';
import { layerOf, SEVERITIES, type FaultClass, type Severity, UNKNOWN_FAULT } from '../policies/taxonomy';
import type { DiagnoseInput, Diagnosis } from './contracts';
import type { IncidentDeps } from './deps';

/**
 * The fault class. An operator's (or drill's) trigger that names one is taken at its word. For
 * the sentinel's triggers the hint that opened the incident is only the first vote: every piece
 * of evidence gathered since votes too (a hard fault outweighs any number of statistical hints —
 * a crash explains the lag it causes), so an incident opened on an early, vague signal (latency
 * rising as a bad model is loaded) is named by the clearer evidence that follows (its accuracy).
 * Ties go to the more specific class.
 */
function classify(input: DiagnoseInput): { fault: FaultClass | typeof UNKNOWN_FAULT; source: string } {
  if (input.faultHint && (input.trigger.kind === 'manual' || input.trigger.kind === 'drill' || input.evidence.length === 0)) {
    return { fault: input.faultHint, source: 'named by the trigger' };
  }
  const votes = new Map<FaultClass, number>();
  const vote = (fault: FaultClass, weight: number): void => void votes.set(fault, (votes.get(fault) ?? 0) + weight);
  if (input.faultHint) vote(input.faultHint, input.trigger.kind === 'hard-fault' ? HARD_FAULT_VOTE : 1);
  for (const e of input.evidence) if (e.faultHint) vote(e.faultHint, e.hardFault ? HARD_FAULT_VOTE : 1);
  let best: FaultClass | typeof UNKNOWN_FAULT = UNKNOWN_FAULT;
  let bestVotes = 0;
  for (const [fault, n] of votes) {
    if (n > bestVotes || (n === bestVotes && specificity(fault) < specificity(best))) {
      best = fault;
      bestVotes = n;
    }
  }
  if (best === UNKNOWN_FAULT) return { fault: best, source: 'no evidence named a fault class' };
  const total = [...votes.values()].reduce((a, b) => a + b, 0);
  return { fault: best, source: `named by ${bestVotes >= HARD_FAULT_VOTE ? 'a hard fault' : `${bestVotes} of ${total} evidence vote(s)`}` };
}

const HARD_FAULT_VOTE = 100;

/** Lower is more specific: a schema change explains null rates, a model metric explains itself. */
function specificity(fault: FaultClass | typeof UNKNOWN_FAULT): number {
  const i = (SPECIFICITY as readonly string[]).indexOf(fault);
  return i < 0 ? SPECIFICITY.length : i;
}
const SPECIFICITY: readonly FaultClass[] = ['corrupted-checkpoint', 'schema-drift', 'null-spike', 'poison-records', 'accuracy-drop', 'concept-drift', 'distribution-shift', 'late-data', 'crash', 'oom', 'hang', 'lag'];

/** Faults that belong to the component they are seen on, whatever is anomalous upstream. */
const OWN_FAULTS: readonly string[] = ['crash', 'oom', 'hang', 'node-loss', 'corrupted-checkpoint'];

/**
 * Where to hand the incident over: the single upstream root-cause candidate, when this component
 * is not a candidate itself, the fault is neither one a component has on its own account nor a
 * model's, and no person or drill named this component (an operator's incident stays where it
 * was opened).
 */
function handOverTarget(input: DiagnoseInput, fault: FaultClass | typeof UNKNOWN_FAULT, candidates: string[]): string | undefined {
  if (input.trigger.kind === 'manual' || input.trigger.kind === 'drill' || input.trigger.kind === 'hand-over') return undefined;
  if (OWN_FAULTS.includes(fault) || input.evidence.some((e) => e.hardFault && e.faultHint && OWN_FAULTS.includes(e.faultHint))) return undefined;
  // A model's faults stay with the model: its repairs (rollback, retraining) act there whatever
  // the data did, and an upstream data repair would leave the served model as it is.
  if (fault !== UNKNOWN_FAULT && layerOf(fault) === 'model') return undefined;
  if (candidates.includes(input.component) || candidates.length === 0) return undefined;
  return [...candidates].sort()[0];
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

/**
 * What each source may decide (the policy's `sources`): a fault hint from a source that may not
 * name the fault class stays in the evidence but casts no vote; a starter's severity counts only
 * when its source may set severity, and then only to raise what the evidence says, never to
 * lower it (slipping under a critical-severity approval rule).
 */
function trusted(policy: PolicyConfig, input: DiagnoseInput): { input: DiagnoseInput; notes: string[]; shadowOnly?: string } {
  const notes: string[] = [];
  const opener = sourceTrust(policy, input.evidence[0]?.source);
  const shadowOnly = opener.openIncidents ? undefined : `${input.evidence[0]?.source} may not open incidents that act: shadow mode (recorded, nothing changes)`;
  if (shadowOnly) notes.push(shadowOnly);
  const evidence = input.evidence.map((e) => {
    if (!e.faultHint || sourceTrust(policy, e.source).faultHint) return e;
    notes.push(`fault hint ${e.faultHint} from ${e.source} kept as evidence only (the source may not name the fault class)`);
    const { faultHint: _dropped, ...rest } = e;
    return rest;
  });
  let faultHint = input.faultHint;
  if (faultHint && !opener.faultHint) {
    notes.push(`the starter's fault class ${faultHint} kept as evidence only (${input.evidence[0]?.source} may not name it)`);
    faultHint = undefined;
  }
  const fromEvidence = severityOf({ ...input, evidence, severityHint: undefined });
  let severity = fromEvidence;
  if (input.severityHint && !opener.severity) notes.push(`the starter's severity ${input.severityHint} ignored (${input.evidence[0]?.source} may not set severity)`);
  else if (input.severityHint && SEVERITIES.indexOf(input.severityHint) >= SEVERITIES.indexOf(fromEvidence)) severity = input.severityHint;
  else if (input.severityHint) notes.push(`the starter's severity ${input.severityHint} ignored: the evidence says ${fromEvidence}, and severity can rise but not fall`);
  const { faultHint: _starter, ...base } = input;
  return { input: { ...base, evidence, ...(faultHint ? { faultHint } : {}), severityHint: severity }, notes, ...(shadowOnly ? { shadowOnly } : {}) };
}

export async function diagnose(deps: IncidentDeps, raw: DiagnoseInput): Promise<Diagnosis> {
  const policy = deps.policy();
  const { input, notes, shadowOnly } = trusted(policy, raw);
  const { fault: faultClass, source } = classify(input);
  const severity = severityOf(input);
  const pipeline = findPipeline(policy, input.pipeline);
  const component = pipeline ? findComponent(pipeline, input.component) : undefined;

  // Lineage: the knowledge base's graph (from OpenLineage events) plus the pipeline's own DAG,
  // walked through the components that are anomalous now (the sentinel's view) or in evidence.
  const kbEdges = await deps.kb.lineageEdges();
  const dagEdges = (pipeline?.edges ?? []).map((e) => ({ from: e.from, to: e.to }));
  const anomalous = new Set<string>([input.component]);
  for (const e of input.evidence) if (e.component) anomalous.add(e.component);
  const live = deps.anomalous ? await deps.anomalous(input.pipeline).catch(() => []) : [];
  for (const c of live) anomalous.add(c);
  const roots = minimalAnomalousUpstream([...dagEdges, ...kbEdges], input.component, anomalous);
  const handOverTo = handOverTarget(input, faultClass, roots.candidates);

  const cases = faultClass === UNKNOWN_FAULT ? [] : await deps.kb.pastCases({ pipeline: input.pipeline, faultClass, limit: 50 });
  const signature = { component: input.component, faultClass, severity };
  const similarCases = cases
    .map((c) => ({ component: c.component, action: c.action, outcome: c.verification, similarity: similarity(signature, c) }))
    .filter((c) => c.similarity >= DEFAULT_CBR.minSimilarity)
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, 5);

  const layer = faultClass === UNKNOWN_FAULT ? (component?.layer ?? 'unknown') : (layerOf(faultClass) ?? 'unknown');
  return {
    faultClass,
    layer,
    severity,
    rootCauses: roots.candidates,
    similarCases,
    summary: `${source}; ${input.evidence.length} evidence record(s)${pipeline ? '' : `; pipeline ${input.pipeline} is not in the policy`}${handOverTo ? `; root cause upstream at ${handOverTo}` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`,
    sensitivity: component?.sensitivity ?? [],
    ...(handOverTo ? { handOverTo } : {}),
    ...(shadowOnly ? { shadowOnly } : {}),
  };
}
