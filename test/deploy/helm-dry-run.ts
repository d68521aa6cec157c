/**
 * Server-side dry-run of the Helm chart against a real Kubernetes API server: every rendered
 * object is sent with dryRun=All, so the server runs defaulting, validation and admission on it
 * without persisting anything. Not a *.test.ts file: it needs an API server the suite does not
 * start yet. Point it at one and run it explicitly:
 *
 *   HOMEOSTAT_KUBECONFIG=/path/kubeconfig npx jest --testMatch '**\/test/deploy/helm-dry-run.ts'
 *   HOMEOSTAT_KUBE_APISERVER=https://127.0.0.1:6443 HOMEOSTAT_KUBE_TOKEN=… [HOMEOSTAT_KUBE_CA=ca.crt] npx jest --testMatch '**\/test/deploy/helm-dry-run.ts'
 *
 * Without either variable it fails, naming them (it never passes without having asked a server).
 * `dryRunChart` is exported for a suite that starts its own API server.
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

test('the API server accepts every object of the chart (server-side dry-run)', async () => {
  const accepted = await dryRunChart(kubeConfigFromEnv());
  expect(accepted.length).toBeGreaterThanOrEqual(9);
}, 600_000);
