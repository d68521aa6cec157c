/**
 * Which components a verified repair re-arms in the sentinel. The repaired component itself, and
 * the components downstream of it (in the pipeline's DAG) whose symptoms reached this incident as
 * evidence — handed over, or attributed to it by the sentinel. Their anomaly was this fault's,
 * seen further down the flow; once the root repair is verified, their detectors relearn normal
 * from what follows it, as the root's do. Without this, a downstream stage kept its pre-repair
 * references (the PSI hold keeps them for up to two minutes while its anomaly stays open) and
 * reopened an incident for a fault already repaired.
 *
 * Only descendants count: evidence about an upstream component is a different fault, not this
 * one's echo, and stays armed.
 */
import { findPipeline } from '../policies/lookup';
import type { PolicyConfig } from '../policies/schema';
import type { Evidence } from '../workflows/shared';

/** Every component reachable from `component` along the pipeline's edges (not itself). */
export function descendantsOf(edges: readonly { from: string; to: string }[], component: string): Set<string> {
  const found = new Set<string>();
  const queue = [component];
  while (queue.length > 0) {
    const at = queue.shift() as string;
    for (const e of edges) {
      if (e.from === at && e.to !== component && !found.has(e.to)) {
        found.add(e.to);
        queue.push(e.to);
      }
    }
  }
  return found;
}

/** The incident's component first, then the downstream components its evidence came from. */
export function componentsToRearm(policy: PolicyConfig, input: { pipeline: string; component: string; evidence: readonly Evidence[] }): string[] {
  const pipeline = findPipeline(policy, input.pipeline);
  if (!pipeline) return [input.component];
  const below = descendantsOf(pipeline.edges, input.component);
  const echoed = new Set(input.evidence.flatMap((e) => (e.component && below.has(e.component) ? [e.component] : [])));
  return [input.component, ...[...echoed].sort()];
}
