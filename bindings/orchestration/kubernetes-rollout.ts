/**
 * Deployment rollouts as `kubectl rollout status` and `kubectl rollout undo` read them.
 *
 * A rollout is complete when the controller has observed the Deployment's current generation and
 * every replica is updated and available with no old replica left. It has stalled when the
 * `Progressing` condition turns False (ProgressDeadlineExceeded): the condition's message says
 * why (an image that cannot be pulled, a quota), and that message is what the step fails with.
 * A condition left over from an earlier stalled revision does not count: right after a rollback
 * the controller may report the new generation as observed before it has reset the condition, so
 * the stall must name the ReplicaSet of the Deployment's current revision.
 */
import type * as k8s from '@kubernetes/client-node';
import { HomeostatError } from '../../common/errors';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** The label the Deployment controller adds to each ReplicaSet's template; never copied back. */
const POD_TEMPLATE_HASH = 'pod-template-hash';

export interface RolloutResult {
  deployment: string;
  generation: number;
  replicas: number;
  /** Milliseconds spent waiting. */
  waitedMs: number;
}

export async function waitForRollout(
  read: (name: string) => Promise<k8s.V1Deployment>,
  replicaSets: (d: k8s.V1Deployment) => Promise<k8s.V1ReplicaSet[]>,
  name: string,
  timeoutMs: number,
  pollMs = 250,
): Promise<RolloutResult> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const d = await read(name);
    const generation = d.metadata?.generation ?? 0;
    const want = d.spec?.replicas ?? 1;
    const st = d.status ?? {};
    const observed = (st.observedGeneration ?? 0) >= generation;
    const stalled = st.conditions?.find((c) => c.type === 'Progressing' && c.status === 'False');
    // Complete wins over a Progressing=False condition: a revision that once timed out (its first
    // rollout on a loaded cluster took longer than the deadline) and that a rollback returns to is
    // complete at once, before the controller has rewritten the old condition.
    const complete = observed && (st.updatedReplicas ?? 0) === want && (st.availableReplicas ?? 0) === want && (st.replicas ?? 0) === want;
    if (!complete && observed && stalled && (await namesCurrentRevision(stalled.message ?? '', d, replicaSets))) {
      throw new HomeostatError('HS_PRECONDITION_FAILED', `deployment/${name}: rollout stalled (${stalled.reason ?? 'Progressing=False'}): ${stalled.message ?? ''}`.trim(), {
        deployment: name,
        reason: stalled.reason,
      });
    }
    if (complete) {
      return { deployment: name, generation, replicas: want, waitedMs: Date.now() - started };
    }
    last = `observed generation ${st.observedGeneration ?? 0}/${generation}, updated ${st.updatedReplicas ?? 0}, available ${st.availableReplicas ?? 0}, total ${st.replicas ?? 0} of ${want}`;
    if (Date.now() - started > timeoutMs) {
      throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `deployment/${name}: rollout not complete after ${Math.round(timeoutMs / 1000)} s (${last})`, { deployment: name });
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

const revisionOf = (o: { metadata?: k8s.V1ObjectMeta }): number => Number(o.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);

const ownedBy = (d: k8s.V1Deployment, sets: k8s.V1ReplicaSet[]): k8s.V1ReplicaSet[] =>
  sets.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid)).sort((a, b) => revisionOf(b) - revisionOf(a));

async function namesCurrentRevision(message: string, d: k8s.V1Deployment, replicaSets: (d: k8s.V1Deployment) => Promise<k8s.V1ReplicaSet[]>): Promise<boolean> {
  const current = ownedBy(d, await replicaSets(d)).find((rs) => revisionOf(rs) === revisionOf(d));
  return current?.metadata?.name !== undefined && message.includes(`"${current.metadata.name}"`);
}

const images = (t: k8s.V1PodTemplateSpec | undefined): string => (t?.spec?.containers ?? []).map((c) => c.image).join(',');

/**
 * The pod template to roll back to, among the ReplicaSets the Deployment owns: the newest older
 * revision that still has available pods and runs other images than the current one (a stalled
 * bad rollout leaves the last good ReplicaSet serving; a restart of the bad revision only changed
 * an annotation and is not "good"), else the revision just before the current one, as
 * `kubectl rollout undo` picks. Undefined when there is none. After an undo the controller gives
 * the restored ReplicaSet the newest revision number.
 */
export function previousRevisionTemplate(
  d: k8s.V1Deployment,
  sets: k8s.V1ReplicaSet[],
): { template: k8s.V1PodTemplateSpec; fromRevision: number; toRevision: number } | undefined {
  const owned = ownedBy(d, sets);
  const current = revisionOf(d);
  const older = owned.filter((rs) => revisionOf(rs) < current && rs.spec?.template);
  const previous =
    older.find((rs) => (rs.status?.availableReplicas ?? 0) > 0 && images(rs.spec?.template) !== images(d.spec?.template)) ?? older[0];
  if (!previous?.spec?.template) return undefined;
  const template = structuredClone(previous.spec.template);
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH];
  return { template, fromRevision: current, toRevision: revisionOf(previous) };
}
