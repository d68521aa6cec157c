/**
 * Provenance-aware diagnosis: from an affected node, walk the lineage graph upstream and find the
 * minimal set of anomalous nodes that explains the anomaly — the anomalous ancestors none of
 * whose own upstream nodes are anomalous. The walk only continues through anomalous nodes: a
 * healthy node in between means the anomaly did not travel along that path.
 * Pure: works on an edge list, so it runs on the knowledge base's graph or a pipeline DAG.
 */
import type { LineageEdge } from './types';

export interface RootCauseResult {
  /** Root-cause candidates, sorted by name: the minimal upstream cut-set. */
  candidates: string[];
  /** Every anomalous node reached on the walk (including the affected node when anomalous). */
  anomalousPath: string[];
}

function parentsIndex(edges: readonly Pick<LineageEdge, 'from' | 'to'>[]): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  for (const e of edges) parents.set(e.to, [...(parents.get(e.to) ?? []), e.from]);
  return parents;
}

/**
 * Minimal anomalous upstream set for `affected`. When nothing upstream is anomalous, the affected
 * node itself is the candidate: the fault started where it was seen.
 */
export function minimalAnomalousUpstream(
  edges: readonly Pick<LineageEdge, 'from' | 'to'>[],
  affected: string,
  anomalous: ReadonlySet<string> | readonly string[],
): RootCauseResult {
  const isAnomalous = (n: string) => (Array.isArray(anomalous) ? anomalous.includes(n) : (anomalous as ReadonlySet<string>).has(n));
  const parents = parentsIndex(edges);
  const reached = new Set<string>();
  const queue = [affected];
  const seen = new Set<string>([affected]);
  while (queue.length > 0) {
    const node = queue.shift() as string;
    if (node !== affected && !isAnomalous(node)) continue;
    if (isAnomalous(node)) reached.add(node);
    for (const p of parents.get(node) ?? []) {
      if (!seen.has(p)) {
        seen.add(p);
        queue.push(p);
      }
    }
  }
  // A node is a root when none of its direct parents is anomalous. In a cycle of anomalous nodes
  // nobody qualifies, so fall back to the reached nodes with the fewest anomalous parents.
  const anomalousParents = (n: string) => (parents.get(n) ?? []).filter((p) => reached.has(p)).length;
  let candidates = [...reached].filter((n) => anomalousParents(n) === 0);
  if (candidates.length === 0 && reached.size > 0) {
    const fewest = Math.min(...[...reached].map(anomalousParents));
    candidates = [...reached].filter((n) => anomalousParents(n) === fewest);
  }
  if (candidates.length === 0) candidates = [affected];
  return { candidates: candidates.sort(), anomalousPath: [...reached].sort() };
}
