/**
 * The blast-radius rule's health fractions from the cluster itself, for pipelines whose
 * orchestration is Kubernetes: a pipeline's fraction is its components' ready replicas over
 * their desired replicas (a component scaled to 0 on purpose counts for neither), the fleet's the
 * same over every Kubernetes pipeline of the policy. So "only 40 % of the pipeline is healthy —
 * a wider problem, escalate" is judged on what the API server reports, not on what the sentinel
 * has heard.
 *
 * A component whose Deployment is missing or cannot be read counts as one replica desired and
 * none ready: the rule fails closed (an unreachable cluster stops automation and escalates,
 * rather than letting repairs through on an assumed-healthy pipeline). Pipelines on other
 * orchestrations report 1 (nothing known against them), as without this feed.
 */
import type { HealthFractions } from '../../activities/deps';
import type { Orchestrator } from './types';

export interface ClusterPipeline {
  name: string;
  components: readonly string[];
  orchestrator: Orchestrator;
}

export interface ReplicaCount {
  ready: number;
  desired: number;
  /** Why a component counted as unhealthy without a status (not found, forbidden, unreachable). */
  unreadable: string[];
}

export async function pipelineReplicas(p: ClusterPipeline): Promise<ReplicaCount> {
  const counts = await Promise.all(
    p.components.map(async (component) => {
      try {
        const s = await p.orchestrator.status(component);
        // Ready beyond desired (a rollout's surge) is not extra health.
        return { ready: Math.min(s.readyReplicas, s.desiredReplicas), desired: s.desiredReplicas };
      } catch (err) {
        return { ready: 0, desired: 1, unreadable: `${component}: ${(err as Error).message}` };
      }
    }),
  );
  return {
    ready: counts.reduce((n, c) => n + c.ready, 0),
    desired: counts.reduce((n, c) => n + c.desired, 0),
    unreadable: counts.flatMap((c) => ('unreadable' in c && c.unreadable ? [c.unreadable] : [])),
  };
}

const fraction = (c: { ready: number; desired: number }): number => (c.desired === 0 ? 1 : c.ready / c.desired);

/** HealthFractions for the safety layer; every call reads the cluster afresh (plan and revalidation each ask once). */
export function clusterHealth(pipelines: readonly ClusterPipeline[]): HealthFractions {
  return async (pipeline) => {
    const all = await Promise.all(pipelines.map(async (p) => ({ name: p.name, count: await pipelineReplicas(p) })));
    const fleet = all.reduce((n, p) => ({ ready: n.ready + p.count.ready, desired: n.desired + p.count.desired }), { ready: 0, desired: 0 });
    const own = all.find((p) => p.name === pipeline);
    return { pipeline: own ? fraction(own.count) : 1, fleet: fraction(fleet) };
  };
}
