/**
 * Runs KubernetesOrchestrator operations in a plain Node process and prints their results as one
 * JSON line. @kubernetes/client-node 1.x is ESM-only: Node ≥ 20.19 loads it through require(esm)
 * (as tsx does in production), Jest's module loader does not — so the test drives this script.
 * Usage: node -r tsx/cjs orchestration-kubernetes.driver.ts <server-url> <ops JSON>
 */
import * as k8s from '@kubernetes/client-node';
import { KubernetesOrchestrator } from '../../bindings/orchestration/kubernetes';

type Op = { op: 'restart' | 'status' | 'stop' | 'components'; component: string } | { op: 'scale'; component: string; replicas: number } | { op: 'deletePod'; pod: string; grace?: number } | { op: 'cordon' | 'drainNode'; node: string } | { op: 'evict'; pod: string };

async function main(): Promise<void> {
  const [server, opsJson] = process.argv.slice(2);
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'stand-in', server, skipTLSVerify: true }],
    users: [{ name: 'repairer', token: 'test-token' }],
    contexts: [{ name: 'ctx', cluster: 'stand-in', user: 'repairer' }],
    currentContext: 'ctx',
  });
  const orch = new KubernetesOrchestrator({ namespace: 'pipelines', kubeConfig: kc, deployments: { enrich: 'enrich-deploy' }, now: () => new Date('2026-11-25T17:00:00.000Z') });
  const results: unknown[] = [];
  for (const o of JSON.parse(opsJson) as Op[]) {
    try {
      if (o.op === 'restart') results.push(await orch.restart(o.component));
      else if (o.op === 'status') results.push(await orch.status(o.component));
      else if (o.op === 'stop') results.push(await orch.stop(o.component));
      else if (o.op === 'components') results.push(await orch.components());
      else if (o.op === 'scale') results.push(await orch.scale(o.component, o.replicas));
      else if (o.op === 'deletePod') results.push(await orch.deletePod(o.pod, { gracePeriodSeconds: o.grace }));
      else if (o.op === 'cordon') results.push(await orch.cordon(o.node));
      else if (o.op === 'drainNode') results.push(await orch.drainNode(o.node));
      else if (o.op === 'evict') results.push(await orch.evict(o.pod));
    } catch (err) {
      results.push({ error: (err as { code?: string }).code ?? 'unknown', message: (err as Error).message });
    }
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
