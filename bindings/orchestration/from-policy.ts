/**
 * The orchestrator a pipeline's policy names (`bindings.orchestration`): the worker's own local
 * one, or Deployments in a Kubernetes namespace.
 */
import type * as K8s from '@kubernetes/client-node';
import type { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import type { OrchestrationBindingSchema } from '../../policies/schema';
import type { KubernetesOrchestrator as KubernetesOrchestratorClass, ReplicaMemory } from './kubernetes';
import type { Orchestrator } from './types';

export type OrchestrationBinding = z.output<typeof OrchestrationBindingSchema>;

/** `replicaMemory`: the worker's knowledge base, where a Kubernetes binding keeps replica counts across a stop. */
export function orchestratorFor(binding: OrchestrationBinding | undefined, local: Orchestrator, replicaMemory: ReplicaMemory): Orchestrator {
  if (!binding || binding.kind === 'local') return local;
  return kubernetesOrchestratorFor(binding, replicaMemory);
}

/** The Kubernetes binding a policy's `bindings.orchestration` (kind kubernetes) describes. */
export function kubernetesOrchestratorFor(binding: Extract<OrchestrationBinding, { kind: 'kubernetes' }>, replicaMemory: ReplicaMemory): Orchestrator {
  // Loaded only when a policy asks for Kubernetes: @kubernetes/client-node is ESM-only, which
  // Node 20 loads through require(esm) but Jest's module loader does not — every test that
  // imports the worker would otherwise fail to load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KubernetesOrchestrator } = require('./kubernetes') as { KubernetesOrchestrator: typeof KubernetesOrchestratorClass };
  const kc = kubeConfigFor(binding);
  const deployments = Object.fromEntries(Object.entries(binding.components).flatMap(([c, v]) => (v.deployment ? [[c, v.deployment]] : [])));
  const selectors = Object.fromEntries(Object.entries(binding.components).flatMap(([c, v]) => (v.selector ? [[c, v.selector]] : [])));
  return new KubernetesOrchestrator({
    namespace: binding.namespace,
    replicaMemory,
    kubeConfig: kc,
    deployments,
    selector: (component) => selectors[component],
  });
}

/** The credentials a `kubernetes` orchestration block names (kubeconfig file, in-cluster, or the default resolution). */
export function kubeConfigFor(binding: Extract<OrchestrationBinding, { kind: 'kubernetes' }>): K8s.KubeConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const k8s = require('@kubernetes/client-node') as typeof K8s;
  const kc = new k8s.KubeConfig();
  try {
    if (binding.kubeconfig) kc.loadFromFile(binding.kubeconfig);
    else if (binding.inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
    if (binding.context) kc.setCurrentContext(binding.context);
  } catch (err) {
    throw new HomeostatError('HS_INVALID_INPUT', `bindings.orchestration: cannot load Kubernetes credentials (${binding.kubeconfig ?? (binding.inCluster ? 'in-cluster' : 'default kubeconfig')}): ${(err as Error).message}`);
  }
  return kc;
}
