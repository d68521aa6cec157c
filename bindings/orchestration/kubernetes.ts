/**
 * Kubernetes orchestration through @kubernetes/client-node 1.4 (object-parameter API). A
 * component is a Deployment (same name unless mapped); its pods are those its selector matches.
 *
 *  - restart: what `kubectl rollout restart` does — a strategic-merge patch setting the pod
 *    template annotation `kubectl.kubernetes.io/restartedAt`, so the Deployment rolls its pods
 *    under its own surge / availability rules (no downtime, no bypassed PodDisruptionBudget) —
 *    then waits until the rollout completes (kubernetes-rollout.ts); a stalled rollout fails the
 *    step with its condition's message;
 *  - rollback: what `kubectl rollout undo` does — the previous ReplicaSet revision's pod template
 *    written back to the Deployment, then the same wait;
 *  - scale / stop / start: a merge patch of the Deployment's `scale` subresource, or of the
 *    HorizontalPodAutoscaler's minReplicas when an HPA owns the replica count;
 *  - deletePod: the hard microreboot of one pod (its ReplicaSet replaces it);
 *  - cordon / uncordon: `spec.unschedulable` on the Node; evict: the Eviction subresource, which
 *    honours PodDisruptionBudgets (a 429 means the budget refused: retried until the step's
 *    deadline); drainNode = cordon, then evict the pipeline namespace's pods on the node (never
 *    another namespace's: they are outside what the safety layer calls this pipeline's resources).
 *
 * A 409 conflict is retried with a fresh read. Every call is idempotent: a retried restart sets
 * the same annotation value when the caller passes the same `now`, a retried rollback finds the
 * template already in place, a retried drain finds the node cordoned and its pods gone.
 * Tested against a real API server with kwok nodes (test/bindings/orchestration-kubernetes.test.ts).
 */
import * as k8s from '@kubernetes/client-node';
import { HomeostatError } from '../../common/errors';
import type { KnowledgeBase } from '../../knowledge/types';
import { checkFence, type Fenced } from '../fence';
import { previousRevisionTemplate, waitForRollout, type RolloutResult } from './kubernetes-rollout';
import type { ComponentStatus, InstanceStatus, Orchestrator, RestartResult } from './types';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** Where the replica count before a scale or stop is kept: the knowledge base, shared by every worker. */
export type ReplicaMemory = Pick<KnowledgeBase, 'rememberReplicas' | 'rememberedReplicas'>;

export interface KubernetesOrchestratorOptions {
  namespace: string;
  /** The knowledge base (or what of it the binding uses): a start after a stop restores the count from there. */
  replicaMemory: ReplicaMemory;
  /** Defaults to the usual resolution (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeConfig?: k8s.KubeConfig;
  /** Component → Deployment name; components not listed use their own name. */
  deployments?: Record<string, string>;
  /** Label selector of a component's pods. Default: its Deployment's own selector. */
  selector?: (component: string) => string | undefined;
  now?: () => Date;
  /** How long a rollout, a drain's evictions or a conflict retry may take. Default 120 s. */
  stepTimeoutMs?: number;
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
  private readonly autoscaling: k8s.AutoscalingV2Api;

  constructor(private readonly options: KubernetesOrchestratorOptions) {
    const kc = options.kubeConfig ?? (() => {
      const c = new k8s.KubeConfig();
      c.loadFromDefault();
      return c;
    })();
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
  }

  private get timeoutMs(): number {
    return this.options.stepTimeoutMs ?? 120_000;
  }

  private deployment(component: string): string {
    return this.options.deployments?.[component] ?? component;
  }

  /**
   * One API call with Homeostat's error codes. A 409 (someone else changed the object between
   * our read and write) is retried: `fn` re-reads whatever it writes from, so the retry works on
   * fresh state.
   */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (describeError(err).status === 409 && attempt < 5) {
          await sleep(100 * attempt);
          continue;
        }
        throw this.translate(what, err);
      }
    }
  }

  private translate(what: string, err: unknown): HomeostatError {
    const e = describeError(err);
    if (e.status === 404) return new HomeostatError('HS_NOT_FOUND', `kubernetes: ${what}: not found`);
    if (e.status === 429) return new HomeostatError('HS_REFUSED', `kubernetes: ${what}: refused (a PodDisruptionBudget or rate limit): ${e.message}`);
    if (e.status === 403) return new HomeostatError('HS_UNAUTHORISED', `kubernetes: ${what}: forbidden — the binding's role does not grant it (deploy/helm/homeostat/templates/role.yaml): ${e.message}`);
    if (e.status === 401) return new HomeostatError('HS_UNAUTHORISED', `kubernetes: ${what}: the credentials were not accepted: ${e.message}`);
    return new HomeostatError('HS_SERVICE_UNAVAILABLE', `kubernetes: ${what}: ${e.message}`);
  }

  async restart(component: string, options?: Fenced): Promise<RestartResult> {
    await checkFence(options);
    const name = this.deployment(component);
    const at = (this.options.now?.() ?? new Date()).toISOString();
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } };
    await this.call(`rollout restart deployment/${name}`, () =>
      this.apps.patchNamespacedDeployment({ name, namespace: this.options.namespace, body }, patchOptions(k8s.PatchStrategy.StrategicMergePatch)),
    );
    const rollout = await this.waitForRollout(name);
    return { component, restarted: rollout.replicas, killed: 0 };
  }

  /** Waits until the Deployment's current generation is rolled out (or fails with why not). */
  async waitForRollout(name: string): Promise<RolloutResult> {
    const namespace = this.options.namespace;
    return waitForRollout(
      (n) => this.call(`read deployment/${n}`, () => this.apps.readNamespacedDeployment({ name: n, namespace })),
      async (d) => (await this.call(`list replicasets of deployment/${name}`, () => this.apps.listNamespacedReplicaSet({ namespace, labelSelector: selectorOf(d) }))).items,
      name,
      this.timeoutMs,
    );
  }

  /**
   * `kubectl rollout undo`: the previous revision's pod template back on the Deployment. Returns
   * the revision rolled back to, or undefined when there is none (a Deployment never updated).
   */
  async rollback(component: string, options?: Fenced): Promise<{ fromRevision: number; toRevision: number; rollout: RolloutResult } | undefined> {
    await checkFence(options);
    const name = this.deployment(component);
    const namespace = this.options.namespace;
    const d = await this.call(`read deployment/${name}`, () => this.apps.readNamespacedDeployment({ name, namespace }));
    const sets = await this.call(`list replicasets of deployment/${name}`, () =>
      this.apps.listNamespacedReplicaSet({ namespace, labelSelector: selectorOf(d) }),
    );
    const previous = previousRevisionTemplate(d, sets.items);
    if (!previous) return undefined;
    await this.call(`rollout undo deployment/${name}`, async () => {
      // Fresh read per attempt, and the resourceVersion in the write: a concurrent change is a 409, retried.
      const fresh = await this.apps.readNamespacedDeployment({ name, namespace });
      fresh.spec!.template = previous.template;
      return this.apps.replaceNamespacedDeployment({ name, namespace, body: fresh });
    });
    return { fromRevision: previous.fromRevision, toRevision: previous.toRevision, rollout: await this.waitForRollout(name) };
  }

  /** The HPA whose scaleTargetRef is this Deployment, if any. */
  private async hpaOf(deployment: string): Promise<k8s.V2HorizontalPodAutoscaler | undefined> {
    const list = await this.call('list horizontalpodautoscalers', () => this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: this.options.namespace }));
    return list.items.find((h) => h.spec?.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === deployment);
  }

  async scale(component: string, replicas: number, options?: Fenced): Promise<ComponentStatus> {
    await checkFence(options);
    if (!Number.isInteger(replicas) || replicas < 0) throw new HomeostatError('HS_INVALID_INPUT', `replicas must be a non-negative integer, got ${replicas}`);
    const name = this.deployment(component);
    const current = await this.status(component).catch(() => undefined);
    // Remembered only when this call changes the count: a retried scale (the count already at
    // its target) must not overwrite the count from before the first try.
    if (current && current.desiredReplicas > 0 && current.desiredReplicas !== replicas) {
      await this.options.replicaMemory.rememberReplicas(this.resourceOf(name), current.desiredReplicas);
    }
    const hpa = replicas > 0 ? await this.hpaOf(name) : undefined;
    if (hpa) {
      // The HPA owns the replica count: a scale patch would be undone at its next sync. Raise
      // its floor instead (and its ceiling, when the floor would pass it).
      const max = Math.max(hpa.spec?.maxReplicas ?? replicas, replicas);
      await this.call(`raise minReplicas of hpa/${hpa.metadata?.name}`, () =>
        this.autoscaling.patchNamespacedHorizontalPodAutoscaler(
          { name: hpa.metadata!.name!, namespace: this.options.namespace, body: { spec: { minReplicas: replicas, maxReplicas: max } } },
          patchOptions(k8s.PatchStrategy.MergePatch),
        ),
      );
    } else {
      await this.call(`scale deployment/${name}`, () =>
        this.apps.patchNamespacedDeploymentScale({ name, namespace: this.options.namespace, body: { spec: { replicas } } }, patchOptions(k8s.PatchStrategy.MergePatch)),
      );
    }
    return this.status(component);
  }

  async stop(component: string, options?: Fenced): Promise<void> {
    await this.scale(component, 0, options);
  }

  async start(component: string, replicas?: number, options?: Fenced): Promise<ComponentStatus> {
    const remembered = replicas ?? (await this.options.replicaMemory.rememberedReplicas(this.resourceOf(this.deployment(component))));
    return this.scale(component, remembered ?? 1, options);
  }

  /** The knowledge base's name for a Deployment of this namespace. */
  resourceOf(deployment: string): string {
    return `kubernetes:${this.options.namespace}/deployment/${deployment}`;
  }

  async status(component: string): Promise<ComponentStatus> {
    const name = this.deployment(component);
    const namespace = this.options.namespace;
    const d = await this.call(`read deployment/${name}`, () => this.apps.readNamespacedDeployment({ name, namespace }));
    const pods = await this.call(`list pods of ${component}`, () =>
      this.core.listNamespacedPod({ namespace, labelSelector: this.options.selector?.(component) ?? selectorOf(d) }),
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

  /**
   * Cordons a node and evicts the pipeline namespace's pods on it (DaemonSet pods stay, as with
   * `kubectl drain`). An eviction a PodDisruptionBudget refuses (429) is retried until the step's
   * deadline — the budget allows it once a replacement is Ready elsewhere; what is still refused
   * then is returned in `refused`. `workloads` names the Deployments touched (via their pods'
   * owners), so the safety layer can count the drain as a remediation on each.
   */
  /** The pipeline component a Deployment of this namespace is (the inverse of the component → Deployment map). */
  componentOf(deployment: string): string {
    return Object.entries(this.options.deployments ?? {}).find(([, d]) => d === deployment)?.[0] ?? deployment;
  }

  /**
   * `workloads`: the Deployments whose pods were on the node; `components`: the same as pipeline
   * components — a drain is a remediation on each (RepairResult.touched).
   */
  async drainNode(node: string): Promise<{ evicted: string[]; refused: string[]; workloads: string[]; components: string[] }> {
    await this.cordon(node);
    const namespace = this.options.namespace;
    const deadline = Date.now() + this.timeoutMs;
    const evicted: string[] = [];
    const workloads = new Set<string>();
    let pending = await this.podsOn(node);
    while (pending.length > 0) {
      const refusedNow: k8s.V1Pod[] = [];
      for (const p of pending) {
        const name = p.metadata?.name ?? '';
        try {
          await this.evict(name, namespace);
          evicted.push(name);
          const owner = p.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
          if (owner) workloads.add(owner.replace(/-[a-z0-9]+$/, ''));
        } catch (err) {
          if (err instanceof HomeostatError && err.code === 'HS_REFUSED') refusedNow.push(p);
          else if (err instanceof HomeostatError && err.code === 'HS_NOT_FOUND') evicted.push(name);
          else throw err;
        }
      }
      if (refusedNow.length === 0 || Date.now() > deadline) return { evicted, refused: refusedNow.map((p) => p.metadata?.name ?? ''), workloads: [...workloads], components: [...workloads].map((w) => this.componentOf(w)) };
      pending = refusedNow;
      await sleep(1_000);
    }
    return { evicted, refused: [], workloads: [...workloads], components: [...workloads].map((w) => this.componentOf(w)) };
  }

  private async podsOn(node: string): Promise<k8s.V1Pod[]> {
    const pods = await this.call(`list pods on node/${node}`, () => this.core.listNamespacedPod({ namespace: this.options.namespace, fieldSelector: `spec.nodeName=${node}` }));
    return pods.items.filter((p) => !p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') && p.metadata?.deletionTimestamp === undefined);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function selectorOf(d: k8s.V1Deployment): string {
  return Object.entries(d.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
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
