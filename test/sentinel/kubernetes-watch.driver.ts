/**
 * Runs the Kubernetes watcher (sentinel/sources/kubernetes-watch.ts) in a plain Node process (the
 * client library is ESM-only, which Jest cannot load) and prints one JSON line per record:
 * `{"record": …}`. A line `state` on stdin prints `{"state": {resourceVersions, stats}}`; the end
 * of stdin stops the watcher and exits.
 * Usage: node -r tsx/cjs kubernetes-watch.driver.ts <kubeconfig> <namespace> <pipeline> <components JSON> [resumeFrom JSON]
 */
import readline from 'node:readline';
import * as k8s from '@kubernetes/client-node';
import { KubernetesWatcher } from '../../sentinel/sources/kubernetes-watch';

async function main(): Promise<void> {
  const [kubeconfig, namespace, pipeline, components, resume] = process.argv.slice(2);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig!);
  const out = (o: unknown): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
  const watcher = new KubernetesWatcher({
    kubeConfig: kc, namespace: namespace!, pipeline: pipeline!, nodePollMs: 500,
    components: JSON.parse(components ?? '{}') as Record<string, string>,
    ...(resume ? { resumeFrom: JSON.parse(resume) as Record<string, string> } : {}),
    emit: (records) => records.forEach((record) => out({ record })),
    onError: (err) => process.stderr.write(`watcher: ${err.message}\n`),
  });
  await watcher.start();
  out({ started: true });
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (l) => l.trim() === 'state' && out({ state: { resourceVersions: watcher.resourceVersions(), stats: watcher.stats } }));
  lines.on('close', () => {
    watcher.stop();
    process.exit(0);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
