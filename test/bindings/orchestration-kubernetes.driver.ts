/**
 * Runs KubernetesOrchestrator operations in a plain Node process and prints their results as one
 * JSON line. @kubernetes/client-node 1.x is ESM-only: Node ≥ 20.19 loads it through require(esm)
 * (as tsx does in production), Jest's module loader does not — so the test drives this script.
 * The binding keeps replica counts in the SQLite knowledge base at <kb file>, as a worker does in
 * its own: several invocations on one file act as successive workers.
 * Usage: node -r tsx/cjs orchestration-kubernetes.driver.ts <kubeconfig> <namespace> <ops JSON> <stepTimeoutMs> <kb file>
 */
import * as k8s from '@kubernetes/client-node';
import { clusterHealth, pipelineReplicas } from '../../bindings/orchestration/cluster-health';
import { KubernetesOrchestrator } from '../../bindings/orchestration/kubernetes';
import { openKnowledgeBase } from '../../knowledge/open';

type Op =
  | { op: 'restart' | 'status' | 'rollback' | 'stop' | 'start'; component: string }
  | { op: 'components' }
  | { op: 'scale'; component: string; replicas: number }
  | { op: 'deletePod'; pod: string }
  | { op: 'cordon' | 'drainNode'; node: string }
  | { op: 'health' | 'replicas'; pipeline: string; components: string[] };

async function run(orch: KubernetesOrchestrator, o: Op): Promise<unknown> {
  switch (o.op) {
    case 'restart':
      return orch.restart(o.component);
    case 'status':
      return orch.status(o.component);
    case 'rollback':
      return (await orch.rollback(o.component)) ?? null;
    case 'stop':
      return orch.stop(o.component);
    case 'start':
      return orch.start(o.component);
    case 'components':
      return orch.components();
    case 'scale':
      return orch.scale(o.component, o.replicas);
    case 'deletePod':
      return orch.deletePod(o.pod, { gracePeriodSeconds: 0 });
    case 'cordon':
      return orch.cordon(o.node);
    case 'drainNode':
      return orch.drainNode(o.node);
    case 'health':
      return clusterHealth([{ name: o.pipeline, components: o.components, orchestrator: orch }])(o.pipeline);
    case 'replicas':
      return pipelineReplicas({ name: o.pipeline, components: o.components, orchestrator: orch });
  }
}

async function main(): Promise<void> {
  const [kubeconfig, namespace, opsJson, timeout, kbFile] = process.argv.slice(2);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig!);
  const kb = openKnowledgeBase(kbFile!);
  const orch = new KubernetesOrchestrator({ namespace: namespace!, kubeConfig: kc, stepTimeoutMs: timeout ? Number(timeout) : 60_000, replicaMemory: kb });
  const results: unknown[] = [];
  for (const o of JSON.parse(opsJson!) as Op[]) {
    try {
      results.push((await run(orch, o)) ?? null);
    } catch (err) {
      results.push({ error: (err as { code?: string }).code ?? 'unknown', message: (err as Error).message });
    }
  }
  await kb.close();
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
