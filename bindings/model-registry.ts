/**
 * Which model registry a pipeline's models live in — the embedded one on the knowledge base, or
 * MLflow — as the policy file and the pipeline configuration name it. One schema for both.
 */
import type { z } from 'zod';
import { ModelRegistryBindingSchema } from '../policies/schema';
import { MlflowModelRegistry } from './mlflow-registry';
import type { ModelRegistry } from './registries';

export const modelRegistryBinding = ModelRegistryBindingSchema;
export type ModelRegistryBinding = z.output<typeof modelRegistryBinding>;

/** The registry a binding names; `embedded` is whatever the caller already has open. */
export function modelRegistryFor(binding: ModelRegistryBinding | undefined, embedded: ModelRegistry, actor?: string): ModelRegistry {
  if (!binding || binding.kind === 'embedded') return embedded;
  const trackingUri = binding.trackingUri ?? process.env.MLFLOW_TRACKING_URI;
  if (!trackingUri) throw new Error('model registry "mlflow": no trackingUri in the binding and MLFLOW_TRACKING_URI is not set');
  return new MlflowModelRegistry({ trackingUri, alias: binding.alias, ...(actor ? { actor } : {}) });
}
