/**
 * The Kubernetes watchers `homeostat sentinel --policy <file>` runs: one per pipeline whose
 * `bindings.orchestration` is kubernetes, with that block's credentials and namespace, its
 * component → Deployment map reversed (records are about components), publishing what it sees on
 * the sentinel's own telemetry topic — the records then take the same path as any producer's.
 */
import { kubeConfigFor } from '../../bindings/orchestration/from-policy';
import type { Log } from '../../bindings/log';
import type { PolicyConfig } from '../../policies/schema';
import { publishTelemetry } from '../publish';
import type { KubernetesWatcher as KubernetesWatcherClass } from './kubernetes-watch';

export async function startKubernetesWatchers(policy: PolicyConfig, log: Log, topic: string, print: (line: string) => void): Promise<{ stop(): void }> {
  const watchers: KubernetesWatcherClass[] = [];
  for (const p of policy.pipelines) {
    const binding = p.bindings?.orchestration;
    if (binding?.kind !== 'kubernetes') continue;
    // Loaded only when a policy names Kubernetes (the client library is ESM-only; see from-policy.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { KubernetesWatcher } = require('./kubernetes-watch') as { KubernetesWatcher: typeof KubernetesWatcherClass };
    const components = Object.fromEntries(Object.entries(binding.components).map(([component, v]) => [v.deployment ?? component, component]));
    const watcher = new KubernetesWatcher({
      kubeConfig: kubeConfigFor(binding),
      pipeline: p.name,
      namespace: binding.namespace,
      components,
      emit: (records) => void publishTelemetry(log, topic, records).catch((err: unknown) => print(`sentinel: publishing Kubernetes telemetry failed: ${(err as Error).message}`)),
      onError: (err) => print(`sentinel: Kubernetes watch of ${binding.namespace}: ${err.message}`),
    });
    await watcher.start();
    watchers.push(watcher);
    print(`sentinel: watching pods, deployments and events of namespace ${binding.namespace} for pipeline ${p.name}`);
  }
  return { stop: () => watchers.forEach((w) => w.stop()) };
}
