/**
 * Server-side dry-run of the Helm chart against a real Kubernetes API server: every rendered
 * object is sent with dryRun=All, so the server runs defaulting, validation and admission on it
 * without persisting anything. This file checks a cluster of your own (not a *.test.ts file, the
 * suite does not run it); point it at one and run it explicitly:
 *
 *   HOMEOSTAT_KUBECONFIG=/path/kubeconfig npx jest --testMatch '**\/test/deploy/helm-dry-run.ts'
 *   HOMEOSTAT_KUBE_APISERVER=https://127.0.0.1:6443 HOMEOSTAT_KUBE_TOKEN=… [HOMEOSTAT_KUBE_CA=ca.crt] npx jest --testMatch '**\/test/deploy/helm-dry-run.ts'
 *
 * Without either variable it fails, naming them (it never passes without having asked a server).
 * The suite's own check, on the local control plane, is in test/infra/kubernetes.test.ts.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const DRIVER = path.join(__dirname, 'dry-run-chart.ts');

test('the API server accepts every object of the chart (server-side dry-run)', () => {
  // The driver reads HOMEOSTAT_KUBECONFIG / HOMEOSTAT_KUBE_APISERVER itself and fails naming them.
  const out = execFileSync(process.execPath, ['--require', require.resolve('tsx/cjs'), DRIVER], { encoding: 'utf8', timeout: 600_000 });
  const { accepted } = JSON.parse(out) as { accepted: string[] };
  expect(accepted.length).toBeGreaterThanOrEqual(9);
}, 600_000);
