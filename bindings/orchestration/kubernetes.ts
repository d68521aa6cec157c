/**
 * Kubernetes orchestration through @kubernetes/client-node 1.4 (object-parameter API). A
 * component is a Deployment (same name unless mapped) whose pods carry `app=<component>`.
 *
 *  - restart: what `kubectl rollout restart` does — a strategic-merge patch setting the pod
 *    template annotation `kubectl.kubernetes.io/restartedAt`, so the Deployment rolls its pods
 *    under its own surge / availability rules (no downtime, no bypassed PodDisruptionBudget);
 *  - scale / stop / start: a merge patch of the Deployment's `scale` subresource;
 *  - deletePod: the hard microreboot of one pod (its ReplicaSet replaces it);
 *  - cordon / uncordon: `spec.unschedulable` on the Node; evict: the Eviction subresource, which
 *    honours PodDisruptionBudgets (a 429 means the budget refused, and is reported as such);
 *    drainNode = cordon, then evict every pod on the node not owned by a DaemonSet.
 *
 * Exercised here only against a local HTTP server standing in for the API server (request paths,
 * verbs, content types and bodies); not yet against a real cluster.
 */
import * as k8s from '@kubernetes/client-node';
import { HomeostatError } from '../../common/errors';
import { checkFence, type Fenced } from '../fence';
import type { ComponentStatus, InstanceStatus, Orchestrator, RestartResult } from './types';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export interface KubernetesOrchestratorOptions {
  namespace: string;
  /** Defaults to the usual resolution (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeConfig?: k8s.KubeConfig;
  /** Component → Deployment name; components not listed use their own name. */
  deployments?: Record<string, string>;
  /** Label selector of a component's pods. Default `app=<component>`. */
  selector?: (component: string) => string;
  now?: () => Date;
}

function patchOptions(strategy: k8s.PatchStrategy): k8s.ConfigurationOptions {
  return k8s.setHeaderOptions('Content-Type', strategy);
}

function describeError(err: unknown): { status?: number; message: string } {
  if (err instanceof k8s.ApiException) return { status: err.code, message: `${err.code}: ${typeof err.body === 'string' ? err.body : JSON.stringify(err.body)}` };
  return { message: err instanceof Error ? err.message : String(err) };
}

export class KubernetesOrchestrator implements Orchestrator {
  readonly kind = 'kubernetes' as const;
  private readonly apps: k8s.AppsV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly lastReplicas = new Map<string, number>();

  constructor(private readonly options: KubernetesOrchestratorOptions) {
    const kc = options.kubeConfig ?? (() => {
      const c = new k8s.KubeConfig();
      c.loadFromDefault();
      return c;
    })();
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  private deployment(component: string): string {
    return this.options.deployments?.[component] ?? component;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = describeError(err);
      if (e.status === 404) throw new HomeostatError('HS_NOT_FOUND', `kubernetes: ${what}: not found`);
      if (e.status === 429) throw new HomeostatError('HS_REFUSED', `kubernetes: ${what}: refused (a PodDisruptionBudget or rate limit): ${e.message}`);
      if (e.status === 401 || e.status === 403) throw new HomeostatError('HS_UNAUTHORISED', `kubernetes: ${what}: ${e.message}`);
      throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `kubernetes: ${what}: ${e.message}`);
    }
  }

  async restart(component: string, options?: Fenced): Promise<RestartResult> {
    await checkFence(options);
    const name = this.deployment(component);
    const at = (this.options.now?.() ?? new Date()).toISOString();
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } };
    const d = await this.call(`rollout restart deployment/${name}`, () =>
      this.apps.patchNamespacedDeployment({ name, namespace: this.options.namespace, body }, patchOptions(k8s.PatchStrategy.StrategicMergePatch)),
    );
    return { component, restarted: d.spec?.replicas ?? 0, killed: 0 };
  }

  async scale(component: string, replicas: number, options?: Fenced): Promise<ComponentStatus> {
    await checkFence(options);
    if (!Number.isInteger(replicas) || replicas < 0) throw new HomeostatError('HS_INVALID_INPUT', `replicas must be a non-negative integer, got ${replicas}`);
    const name = this.deployment(component);
    const current = await this.status(component).catch(() => undefined);
    if (current && current.desiredReplicas > 0) this.lastReplicas.set(component, current.desiredReplicas);
    await this.call(`scale deployment/${name}`, () =>
      this.apps.patchNamespacedDeploymentScale({ name, namespace: this.options.namespace, body: { spec: { replicas } } }, patchOptions(k8s.PatchStrategy.MergePatch)),
    );
    return this.status(component);
  }

  async stop(component: string, options?: Fenced): Promise<void> {
    await this.scale(component, 0, options);
  }

  async start(component: string, replicas?: number, options?: Fenced): Promise<ComponentStatus> {
    return this.scale(component, replicas ?? this.lastReplicas.get(component) ?? 1, options);
  }

  async status(component: string): Promise<ComponentStatus> {
    const name = this.deployment(component);
    const namespace = this.options.namespace;
    const d = await this.call(`read deployment/${name}`, () => this.apps.readNamespacedDeployment({ name, namespace }));
    const pods = await this.call(`list pods of ${component}`, () =>
      this.core.listNamespacedPod({ namespace, labelSelector: this.options.selector?.(component) ?? `app=${component}` }),
    );
    const instances = pods.items.map((p) => podStatus(p));
    return { component, desiredReplicas: d.spec?.replicas ?? 0, readyReplicas: d.status?.readyReplicas ?? 0, instances };
  }

  async components(): Promise<string[]> {
    const list = await this.call('list deployments', () => this.apps.listNamespacedDeployment({ namespace: this.options.namespace }));
    const byDeployment = new Map(Object.entries(this.options.deployments ?? {}).map(([c, d]) => [d, c]));
    return list.items.map((d) => d.metadata?.name ?? '').filter(Boolean).map((n) => byDeployment.get(n) ?? n);
  }

  /** Deletes one pod (its ReplicaSet starts a replacement). */
  async deletePod(pod: string, options: { gracePeriodSeconds?: number } = {}): Promise<void> {
    await this.call(`delete pod/${pod}`, () => this.core.deleteNamespacedPod({ name: pod, namespace: this.options.namespace, gracePeriodSeconds: options.gracePeriodSeconds }));
  }

  async cordon(node: string): Promise<void> {
    await this.call(`cordon node/${node}`, () => this.core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, patchOptions(k8s.PatchStrategy.MergePatch)));
  }

  async uncordon(node: string): Promise<void> {
    await this.call(`uncordon node/${node}`, () => this.core.patchNode({ name: node, body: { spec: { unschedulable: false } } }, patchOptions(k8s.PatchStrategy.MergePatch)));
  }

  /** Evicts a pod through the Eviction API (PodDisruptionBudgets apply). */
  async evict(pod: string, namespace = this.options.namespace): Promise<void> {
    const body: k8s.V1Eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace } };
    await this.call(`evict pod/${pod}`, () => this.core.createNamespacedPodEviction({ name: pod, namespace, body }));
  }

  /** Cordons a node and evicts its pods (DaemonSet pods stay, as with `kubectl drain`). */
  async drainNode(node: string): Promise<{ evicted: string[]; refused: string[] }> {
    await this.cordon(node);
    const pods = await this.call(`list pods on node/${node}`, () => this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }));
    const evicted: string[] = [];
    const refused: string[] = [];
    for (const p of pods.items) {
      if (p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet')) continue;
      const name = p.metadata?.name ?? '';
      try {
        await this.evict(name, p.metadata?.namespace ?? this.options.namespace);
        evicted.push(name);
      } catch (err) {
        if (err instanceof HomeostatError && err.code === 'HS_REFUSED') refused.push(name);
        else throw err;
      }
    }
    return { evicted, refused };
  }
}

function podStatus(p: k8s.V1Pod): InstanceStatus {
  const cs = p.status?.containerStatuses ?? [];
  const restarts = cs.reduce((s, c) => s + (c.restartCount ?? 0), 0);
  const terminated = cs.map((c) => c.lastState?.terminated ?? c.state?.terminated).find((t) => t !== undefined);
  const ready = cs.length > 0 && cs.every((c) => c.ready);
  let state: InstanceStatus['state'] = p.status?.phase === 'Running' && ready ? 'running' : 'starting';
  if (terminated?.reason === 'OOMKilled') state = ready ? 'running' : 'oom-killed';
  else if (p.status?.phase === 'Failed' || cs.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')) state = 'crashed';
  else if (p.status?.phase === 'Succeeded') state = 'exited';
  return {
    id: p.metadata?.name ?? '?',
    state,
    startedAt: p.status?.startTime ? new Date(p.status.startTime).getTime() : undefined,
    restarts,
    lastExit: terminated
      ? { code: terminated.exitCode ?? null, signal: terminated.signal !== undefined ? String(terminated.signal) : null, reason: terminated.reason ?? 'terminated', at: terminated.finishedAt ? new Date(terminated.finishedAt).getTime() : 0 }
      : undefined,
  };
}
