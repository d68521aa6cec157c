/**
 * The score stage's model: logistic regression trained by batch gradient descent, small enough to
 * train in-process in milliseconds. Serialised as JSON into the model registry.
 */
import { z } from 'zod';

export const FEATURE_NAMES = ['x1', 'x2', 'amount_norm', 'cat_a', 'cat_b', 'amount_z'] as const;

export const modelSchema = z.object({
  kind: z.literal('logistic-regression'),
  features: z.array(z.string()),
  weights: z.array(z.number()),
  bias: z.number(),
});
export type LogisticModel = z.infer<typeof modelSchema>;

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function predictProba(model: LogisticModel, x: readonly number[]): number {
  let z = model.bias;
  for (let i = 0; i < model.weights.length; i++) z += model.weights[i] * (Number.isFinite(x[i]) ? x[i] : 0);
  return sigmoid(z);
}

export function trainLogistic(
  X: readonly (readonly number[])[],
  y: readonly number[],
  options: { epochs?: number; learningRate?: number; l2?: number } = {},
): LogisticModel {
  const epochs = options.epochs ?? 300;
  const lr = options.learningRate ?? 0.5;
  const l2 = options.l2 ?? 1e-3;
  const d = FEATURE_NAMES.length;
  const w = new Array<number>(d).fill(0);
  let b = 0;
  const n = X.length;
  if (n === 0) return { kind: 'logistic-regression', features: [...FEATURE_NAMES], weights: w, bias: b };
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let z = b;
      for (let j = 0; j < d; j++) z += w[j] * (Number.isFinite(X[i][j]) ? X[i][j] : 0);
      const err = sigmoid(z) - y[i];
      for (let j = 0; j < d; j++) gw[j] += err * (Number.isFinite(X[i][j]) ? X[i][j] : 0);
      gb += err;
    }
    for (let j = 0; j < d; j++) w[j] -= lr * (gw[j] / n + l2 * w[j]);
    b -= lr * (gb / n);
  }
  return { kind: 'logistic-regression', features: [...FEATURE_NAMES], weights: w, bias: b };
}

export function accuracy(model: LogisticModel, X: readonly (readonly number[])[], y: readonly number[]): number {
  if (X.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < X.length; i++) if ((predictProba(model, X[i]) >= 0.5 ? 1 : 0) === y[i]) ok++;
  return ok / X.length;
}
