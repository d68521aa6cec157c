/**
 * What the Kubernetes watcher (kubernetes-watch.ts) reads in the API objects, as telemetry event
 * records of the usual schema (sentinel/telemetry.ts): the hard faults a kubelet, the controllers
 * and the node lifecycle report, so a pipeline of Deployments needs no instrumentation of its own
 * for them.
 *
 *  - a container waiting in CrashLoopBackOff → CRASHED, or OOMKilled when its last termination
 *    was OOMKilled (exit code and reason in the record);
 *  - a pod Failed with reason Evicted → EVICTED;
 *  - a container waiting in ImagePullBackOff / ErrImagePull → FAILED (the image named);
 *  - a node hosting the pipeline's pods with Ready ≠ True → NODE_NOT_READY (one record per pod
 *    there, so each component on the node hears of it);
 *  - a Deployment whose Progressing condition is False (ProgressDeadlineExceeded) → FAILED
 *    "rollout stalled";
 *  - Events: NodeNotReady on a pod (the node lifecycle controller) → NODE_NOT_READY, Evicted → EVICTED.
 *
 * Pure functions of the objects (types only from the client library, which is ESM-only): tested
 * on the shapes a real API server returns. Each fault carries a `key` naming the object and the
 * condition, so the watcher sends it once per episode, not once per update.
 */
import type * as k8s from '@kubernetes/client-node';
import type { ProcessEvent, TelemetryRecord } from '../telemetry';

export interface KubeFault {
  /** Which object and condition: sent once until the condition clears. */
  key: string;
  /** The Deployment the object belongs to. */
  deployment: string;
  event: ProcessEvent;
  message: string;
  exitCode?: number;
  labels: Record<string, string>;
}

/** The Deployment a pod belongs to: its ReplicaSet owner's name without the pod-template hash. */
export function deploymentOfPod(pod: k8s.V1Pod): string | undefined {
  const rs = pod.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (!rs) return undefined;
  return hash && rs.endsWith(`-${hash}`) ? rs.slice(0, -hash.length - 1) : rs.replace(/-[a-z0-9]+$/, '');
}

export function podFaults(pod: k8s.V1Pod): KubeFault[] {
  const deployment = deploymentOfPod(pod);
  const name = pod.metadata?.name ?? '';
  const uid = pod.metadata?.uid ?? name;
  if (!deployment || pod.metadata?.deletionTimestamp) return [];
  const labels = { pod: name, ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}) };
  const out: KubeFault[] = [];
  if (pod.status?.phase === 'Failed' && pod.status.reason === 'Evicted') {
    out.push({ key: `${uid}:evicted`, deployment, event: 'EVICTED', message: `pod ${name} evicted: ${pod.status.message ?? 'Evicted'}`.slice(0, 4096), labels: { ...labels, reason: 'Evicted' } });
  }
  for (const c of pod.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason;
    const last = c.lastState?.terminated;
    if (waiting === 'CrashLoopBackOff') {
      const oom = last?.reason === 'OOMKilled';
      out.push({
        key: `${uid}:${c.name}:crashloop`,
        deployment,
        event: oom ? 'OOMKilled' : 'CRASHED',
        message: `pod ${name} container ${c.name} CrashLoopBackOff (${c.restartCount} restarts; last terminated: ${last?.reason ?? 'unknown'}${last?.exitCode !== undefined ? `, exit ${last.exitCode}` : ''})`,
        ...(last?.exitCode !== undefined ? { exitCode: last.exitCode } : {}),
        labels: { ...labels, container: c.name, reason: oom ? 'OOMKilled' : 'CrashLoopBackOff' },
      });
    }
    if (waiting === 'ImagePullBackOff' || waiting === 'ErrImagePull') {
      out.push({
        key: `${uid}:${c.name}:image`,
        deployment,
        event: 'FAILED',
        message: `pod ${name} container ${c.name} ${waiting}: image ${c.image}`.slice(0, 4096),
        labels: { ...labels, container: c.name, reason: 'ImagePullBackOff' },
      });
    }
  }
  return out;
}

export function deploymentFaults(d: k8s.V1Deployment): KubeFault[] {
  const name = d.metadata?.name ?? '';
  const stalled = d.status?.conditions?.find((c) => c.type === 'Progressing' && c.status === 'False');
  if (!stalled) return [];
  // The generation in the key: a new rollout that stalls again is a new episode.
  return [{
    key: `${d.metadata?.uid ?? name}:stalled:${d.metadata?.generation ?? 0}`,
    deployment: name,
    event: 'FAILED',
    message: `rollout of deployment ${name} stalled (${stalled.reason ?? 'Progressing=False'}): ${stalled.message ?? ''}`.slice(0, 4096),
    labels: { deployment: name, reason: stalled.reason ?? 'RolloutStalled' },
  }];
}

export function nodeReady(node: k8s.V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A NotReady node, as a fault of each of the pipeline's pods on it. */
export function nodeFaults(node: k8s.V1Node, pods: readonly k8s.V1Pod[]): KubeFault[] {
  if (nodeReady(node)) return [];
  const name = node.metadata?.name ?? '';
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return pods.flatMap((pod) => {
    const deployment = deploymentOfPod(pod);
    if (!deployment || pod.spec?.nodeName !== name || pod.metadata?.deletionTimestamp) return [];
    return [{
      key: `${pod.metadata?.uid ?? ''}:node:${name}`,
      deployment,
      event: 'NODE_NOT_READY' as const,
      message: `node ${name} is NotReady (${ready?.reason ?? 'no Ready condition'}${ready?.message ? `: ${ready.message}` : ''}); pod ${pod.metadata?.name ?? ''} runs there`.slice(0, 4096),
      labels: { pod: pod.metadata?.name ?? '', node: name, reason: 'NodeNotReady' },
    }];
  });
}

/** Events the controllers record on the pipeline's pods; `podDeployment` resolves the pod. */
export function eventFaults(ev: k8s.CoreV1Event, podDeployment: (pod: string) => string | undefined): KubeFault[] {
  if (ev.involvedObject.kind !== 'Pod' || !ev.involvedObject.name) return [];
  const deployment = podDeployment(ev.involvedObject.name);
  if (!deployment) return [];
  const pod = ev.involvedObject.name;
  const base = { deployment, labels: { pod, reason: ev.reason ?? '' } };
  if (ev.reason === 'NodeNotReady') return [{ ...base, key: `${ev.involvedObject.uid ?? pod}:node-event`, event: 'NODE_NOT_READY', message: `pod ${pod}: ${ev.message ?? 'Node is not ready'}`.slice(0, 4096) }];
  if (ev.reason === 'Evicted') return [{ ...base, key: `${ev.involvedObject.uid ?? pod}:evicted`, event: 'EVICTED', message: `pod ${pod} evicted: ${ev.message ?? ''}`.slice(0, 4096) }];
  return [];
}

/** The telemetry record of a fault, for the pipeline's component that Deployment is. */
export function faultRecord(f: KubeFault, pipeline: string, component: string, now: number): TelemetryRecord {
  return {
    v: 1, ts: now, pipeline, component, kind: 'event', signal: 'kubernetes', event: f.event, message: f.message,
    ...(f.exitCode !== undefined ? { exitCode: f.exitCode } : {}),
    labels: f.labels,
  };
}
