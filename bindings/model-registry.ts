/**
 * Which model registry a pipeline's models live in — the embedded one on the knowledge base, or
 * MLflow — as the policy file and the pipeline configuration name it. One schema for both.
 */
import { z } from 'zod';
import { MlflowModelRegistry, DEFAULT_ALIAS } from './mlflow-registry';
import type { ModelRegistry } from './registries';

export const modelRegistryBinding = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('embedded') }),
  z.strictObject({
    kind: z.literal('mlflow'),
    /** The tracking server; MLFLOW_TRACKING_URI when omitted. */
    trackingUri: z.url().optional(),
    /** The alias serving stages load (`models:/<name>@<alias>`). */
    alias: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be an MLflow alias (letters, digits, _ and -)').default(DEFAULT_ALIAS),
  }),
]);
export type ModelRegistryBinding = z.output<typeof modelRegistryBinding>;

/** The registry a binding names; `embedded` is whatever the caller already has open. */
export function modelRegistryFor(binding: ModelRegistryBinding | undefined, embedded: ModelRegistry, actor?: string): ModelRegistry {
  if (!binding || binding.kind === 'embedded') return embedded;
  const trackingUri = binding.trackingUri ?? process.env.MLFLOW_TRACKING_URI;
  if (!trackingUri) throw new Error('model registry "mlflow": no trackingUri in the binding and MLFLOW_TRACKING_URI is not set');
  return new MlflowModelRegistry({ trackingUri, alias: binding.alias, ...(actor ? { actor } : {}) });
}
