/**
 * Lineage into the knowledge base, shared by telemetry `lineage` records and OpenLineage run
 * events: a run that read `inputs` and wrote `outputs` yields edges input → job → output, which is
 * the graph diagnosis walks upstream from an affected component.
 *
 * Node ids: a job is its name (jobs are pipeline components, and incidents name components);
 * a dataset is `<namespace>:<name>` so datasets of different stores never collide.
 */
import type { KnowledgeBase } from '../knowledge/types';

export type LineageSink = Pick<KnowledgeBase, 'addLineageNode' | 'addLineageEdge'>;

export interface LineageRun {
  job: { namespace: string; name: string };
  inputs: readonly { namespace: string; name: string }[];
  outputs: readonly { namespace: string; name: string }[];
  /** Extra attributes stored on the job node (pipeline, run id, event type). */
  attrs?: Record<string, unknown>;
}

export function datasetNodeId(d: { namespace: string; name: string }): string {
  return `${d.namespace}:${d.name}`;
}

/** Writes the run's nodes and edges; returns the edges written. */
export async function recordLineage(sink: LineageSink, run: LineageRun): Promise<{ from: string; to: string }[]> {
  const job = run.job.name;
  await sink.addLineageNode(job, 'job', { namespace: run.job.namespace, ...(run.attrs ?? {}) });
  const edges: { from: string; to: string; kind: string }[] = [];
  for (const i of run.inputs) {
    await sink.addLineageNode(datasetNodeId(i), 'dataset', i);
    edges.push({ from: datasetNodeId(i), to: job, kind: 'reads' });
  }
  for (const o of run.outputs) {
    await sink.addLineageNode(datasetNodeId(o), 'dataset', o);
    edges.push({ from: job, to: datasetNodeId(o), kind: 'writes' });
  }
  for (const e of edges) await sink.addLineageEdge(e);
  return edges.map(({ from, to }) => ({ from, to }));
}
