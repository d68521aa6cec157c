/**
 * Server-side dry-run of the Helm chart: every rendered object is sent with dryRun=All, so the API
 * server runs defaulting, validation and admission on it without persisting anything.
 * @kubernetes/client-node 1.x is ESM-only, which Jest's module loader cannot load: Jest tests run
 * this file as a script (`node -r tsx/cjs dry-run-chart.ts <kubeconfig> <namespace>`, one JSON
 * line out), as test/bindings/orchestration-kubernetes.driver.ts does.
 */
import fs from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { renderChart } from '../../infra/helm';

export function kubeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (env.HOMEOSTAT_KUBECONFIG) {
    kc.loadFromFile(env.HOMEOSTAT_KUBECONFIG);
    return kc;
  }
  if (!env.HOMEOSTAT_KUBE_APISERVER) {
    throw new Error('set HOMEOSTAT_KUBECONFIG, or HOMEOSTAT_KUBE_APISERVER (+ HOMEOSTAT_KUBE_TOKEN, HOMEOSTAT_KUBE_CA), to the API server to dry-run against');
  }
  kc.loadFromClusterAndUser(
    { name: 'target', server: env.HOMEOSTAT_KUBE_APISERVER, ...(env.HOMEOSTAT_KUBE_CA ? { caData: fs.readFileSync(env.HOMEOSTAT_KUBE_CA).toString('base64') } : {}), skipTLSVerify: false },
    { name: 'homeostat', ...(env.HOMEOSTAT_KUBE_TOKEN ? { token: env.HOMEOSTAT_KUBE_TOKEN } : {}) },
  );
  return kc;
}

/** Dry-runs every object of the rendered chart in `namespace` (which must exist); returns the kinds accepted. */
export async function dryRunChart(kc: k8s.KubeConfig, namespace = 'default'): Promise<string[]> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  const accepted: string[] = [];
  for (const manifest of await renderChart({ namespace })) {
    const spec = manifest as k8s.KubernetesObject;
    spec.metadata = { ...spec.metadata, namespace: spec.metadata?.namespace ?? namespace };
    const answered = await client.create(spec, undefined, 'All');
    accepted.push(`${answered.kind}/${answered.metadata?.name}`);
  }
  return accepted;
}

if (require.main === module) {
  const [kubeconfig, namespace] = process.argv.slice(2);
  const kc = kubeconfig ? new k8s.KubeConfig() : kubeConfigFromEnv();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  dryRunChart(kc, namespace).then(
    (accepted) => process.stdout.write(`${JSON.stringify({ accepted })}\n`),
    (err: unknown) => {
      process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err), body: (err as { body?: unknown }).body })}\n`);
      process.exitCode = 1;
    },
  );
}
