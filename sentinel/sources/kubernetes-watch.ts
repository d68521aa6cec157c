/**
 * Kubernetes as a telemetry source: a watcher beside the sentinel that watches the pipeline
 * namespace's Pods, Deployments and Events and the nodes its pods run on, and turns the hard
 * faults they show (kubernetes-faults.ts) into telemetry event records for the pipeline's
 * components — so a pipeline of Deployments needs no instrumentation for them.
 *
 * Each resource is listed once, then watched from the list's resourceVersion; every event moves
 * the resourceVersion on (bookmarks too), so a dropped connection resumes where it was and misses
 * nothing. A 410 Gone (the version was compacted away) re-lists and goes on from the new list. A
 * watcher can also start from a resourceVersion a previous run saved (`resumeFrom`), so a
 * restarted sentinel does not re-report what it sent before. Nodes are cluster-scoped and the role
 * grants only `get` on them: the nodes hosting the pipeline's pods are read every `nodePollMs`.
 *
 * Faults are sent once per episode (the fault's key), and again only after the condition cleared.
 * Needs, in the pipeline namespace: list/watch pods, deployments and events; get nodes
 * (deploy/helm/homeostat/templates/role.yaml, the `-watch` Role and the `-cordon` ClusterRole).
 */
import * as k8s from '@kubernetes/client-node';
import type { TelemetryRecord } from '../telemetry';
import { deploymentFaults, deploymentOfPod, eventFaults, faultRecord, nodeFaults, podFaults, type KubeFault } from './kubernetes-faults';

export interface KubernetesWatcherOptions {
  kubeConfig: k8s.KubeConfig;
  pipeline: string;
  namespace: string;
  /** Deployment → component; Deployments not listed are the component of their own name. */
  components?: Record<string, string>;
  /** Called with each batch of records (publish them on the telemetry topic). */
  emit: (records: TelemetryRecord[]) => void;
  /** resourceVersions a previous run reached (see `resourceVersions()`): watches resume there. */
  resumeFrom?: Partial<Record<WatchedKind, string>>;
  nodePollMs?: number;
  now?: () => number;
  /** Errors that do not stop the watcher (a failed re-list is retried); default: ignored. */
  onError?: (err: Error) => void;
}

export type WatchedKind = 'pods' | 'deployments' | 'events';

export interface WatcherStats {
  relists: Record<WatchedKind, number>;
  /** Watches started from a known resourceVersion (after a list, a resume or a dropped connection). */
  watches: Record<WatchedKind, number>;
  records: number;
}

const PATHS: Record<WatchedKind, (ns: string) => string> = {
  pods: (ns) => `/api/v1/namespaces/${ns}/pods`,
  deployments: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
  events: (ns) => `/api/v1/namespaces/${ns}/events`,
};

type Obj = { metadata?: { name?: string; uid?: string; resourceVersion?: string } };

export class KubernetesWatcher {
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly watch: k8s.Watch;
  private readonly rv: Partial<Record<WatchedKind, string>>;
  private readonly pods = new Map<string, k8s.V1Pod>();
  /** Fault keys currently reported, per object they come from. */
  private readonly active = new Map<string, Set<string>>();
  private readonly aborts = new Set<AbortController>();
  private stopped = false;
  private nodeTimer: NodeJS.Timeout | undefined;
  readonly stats: WatcherStats = { relists: { pods: 0, deployments: 0, events: 0 }, watches: { pods: 0, deployments: 0, events: 0 }, records: 0 };

  constructor(private readonly o: KubernetesWatcherOptions) {
    this.core = o.kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.apps = o.kubeConfig.makeApiClient(k8s.AppsV1Api);
    this.watch = new k8s.Watch(o.kubeConfig);
    this.rv = { ...o.resumeFrom };
  }

  /** Where each watch is: save it to resume a later run there. */
  resourceVersions(): Partial<Record<WatchedKind, string>> {
    return { ...this.rv };
  }

  /** Lists (or resumes) and starts the watches; resolves once every watch is open. */
  async start(): Promise<void> {
    for (const kind of ['pods', 'deployments', 'events'] as const) {
      if (this.rv[kind] === undefined) await this.relist(kind);
      else if (kind !== 'events') await this.loadOnly(kind);
      await this.openWatch(kind);
    }
    const poll = (): void => {
      this.nodeTimer = setTimeout(() => void this.pollNodes().catch((e: unknown) => this.o.onError?.(e as Error)).finally(() => !this.stopped && poll()), this.o.nodePollMs ?? 5_000);
    };
    await this.pollNodes().catch((e: unknown) => this.o.onError?.(e as Error));
    poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.nodeTimer) clearTimeout(this.nodeTimer);
    for (const a of this.aborts) a.abort();
    this.aborts.clear();
  }

  private component(deployment: string): string {
    return this.o.components?.[deployment] ?? deployment;
  }

  /** Sends the faults of one object that are new; forgets those that cleared. */
  private report(source: string, faults: KubeFault[]): void {
    const now = this.o.now?.() ?? Date.now();
    const before = this.active.get(source) ?? new Set<string>();
    const fresh = faults.filter((f) => !before.has(f.key));
    if (faults.length === 0) this.active.delete(source);
    else this.active.set(source, new Set(faults.map((f) => f.key)));
    if (fresh.length === 0) return;
    this.stats.records += fresh.length;
    this.o.emit(fresh.map((f) => faultRecord(f, this.o.pipeline, this.component(f.deployment), now)));
  }

  private handle(kind: WatchedKind, type: string, obj: unknown): void {
    if (kind === 'pods') {
      const pod = obj as k8s.V1Pod;
      const uid = pod.metadata?.uid ?? '';
      if (type === 'DELETED') {
        this.pods.delete(uid);
        this.active.delete(`pod:${uid}`);
        return;
      }
      this.pods.set(uid, pod);
      this.report(`pod:${uid}`, podFaults(pod));
    } else if (kind === 'deployments') {
      const d = obj as k8s.V1Deployment;
      if (type !== 'DELETED') this.report(`deployment:${d.metadata?.uid ?? ''}`, deploymentFaults(d));
    } else if (type === 'ADDED' || type === 'MODIFIED') {
      const ev = obj as k8s.CoreV1Event;
      // An Event is a report, not a condition: each new one counts once, by its own uid.
      const byName = (name: string): string | undefined => {
        for (const p of this.pods.values()) if (p.metadata?.name === name) return deploymentOfPod(p);
        return undefined;
      };
      const faults = eventFaults(ev, byName);
      if (faults.length > 0) this.report(`event:${ev.metadata?.uid ?? ''}`, faults);
    }
  }

  private async list(kind: WatchedKind): Promise<{ items: Obj[]; resourceVersion?: string }> {
    const namespace = this.o.namespace;
    const r = kind === 'pods' ? await this.core.listNamespacedPod({ namespace })
      : kind === 'deployments' ? await this.apps.listNamespacedDeployment({ namespace })
      : await this.core.listNamespacedEvent({ namespace });
    return { items: r.items as Obj[], ...(r.metadata?.resourceVersion ? { resourceVersion: r.metadata.resourceVersion } : {}) };
  }

  /** A fresh list: the state now, and the resourceVersion to watch from. */
  private async relist(kind: WatchedKind): Promise<void> {
    this.stats.relists[kind] += 1;
    const { items, resourceVersion } = await this.list(kind);
    if (kind === 'pods') {
      const seen = new Set(items.map((p) => p.metadata?.uid ?? ''));
      for (const uid of [...this.pods.keys()]) if (!seen.has(uid)) this.handle('pods', 'DELETED', this.pods.get(uid));
    }
    for (const item of items) this.handle(kind, 'ADDED', item);
    this.rv[kind] = resourceVersion;
  }

  /**
   * On a resume: the pod index (Event → Deployment, the nodes to poll) and the faults already
   * showing are rebuilt without reporting them — the previous run sent them.
   */
  private async loadOnly(kind: 'pods' | 'deployments'): Promise<void> {
    for (const item of (await this.list(kind)).items) {
      const uid = item.metadata?.uid ?? '';
      if (kind === 'pods') this.pods.set(uid, item as k8s.V1Pod);
      const faults = kind === 'pods' ? podFaults(item as k8s.V1Pod) : deploymentFaults(item as k8s.V1Deployment);
      if (faults.length > 0) this.active.set(`${kind === 'pods' ? 'pod' : 'deployment'}:${uid}`, new Set(faults.map((f) => f.key)));
    }
  }

  private async openWatch(kind: WatchedKind): Promise<void> {
    if (this.stopped) return;
    this.stats.watches[kind] += 1;
    let gone = false;
    // `done` may run before watch() resolves (a refused request): it must not need the controller.
    const holder: { controller?: AbortController } = {};
    const controller = await this.watch.watch(
      PATHS[kind](this.o.namespace),
      { resourceVersion: this.rv[kind], allowWatchBookmarks: true },
      (type: string, obj: unknown) => {
        if (type === 'ERROR') {
          if ((obj as { code?: number }).code === 410) gone = true;
          return;
        }
        const rv = (obj as Obj).metadata?.resourceVersion;
        if (rv) this.rv[kind] = rv;
        if (type !== 'BOOKMARK') this.handle(kind, type, obj);
      },
      (err: unknown) => {
        if (holder.controller) this.aborts.delete(holder.controller);
        holder.controller = undefined;
        if (this.stopped) return;
        if ((err as { statusCode?: number; code?: number } | null)?.statusCode === 410) gone = true;
        void this.reconnect(kind, gone, err as Error | null);
      },
    );
    if (!controller.signal.aborted) {
      holder.controller = controller;
      this.aborts.add(controller);
    }
  }

  private async reconnect(kind: WatchedKind, gone: boolean, err: Error | null): Promise<void> {
    if (err && !gone) this.o.onError?.(err);
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        if (gone) await this.relist(kind);
        await this.openWatch(kind);
        return;
      } catch (e) {
        this.o.onError?.(e as Error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** attempt)));
      }
    }
  }

  private async pollNodes(): Promise<void> {
    const names = new Set([...this.pods.values()].flatMap((p) => (p.spec?.nodeName ? [p.spec.nodeName] : [])));
    const pods = [...this.pods.values()];
    for (const name of names) {
      if (this.stopped) return;
      const node = await this.core.readNode({ name });
      this.report(`node:${name}`, nodeFaults(node, pods));
    }
  }
}
